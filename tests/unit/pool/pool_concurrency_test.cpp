// Many threads on one BlockingPool, with TSan as the oracle (label `concurrency`). No sleeps: the
// real coarse clock drives the pool, with deadlines so generous that they never trigger.
#include "pool/blocking_pool.hpp"
#include "support/fake_resource.hpp"

#include <ucm/core/error.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace ucm::pool {
namespace {

using namespace std::chrono_literals;
using test::FakeResource;

constexpr int kThreads = 8;
constexpr int kIterations = 3000;

PoolOptions four_connections() {
    PoolOptions o;
    o.size = 2;
    o.max_overflow = 2;  // 4 connections at most
    o.min_idle = 1;
    o.acquire_timeout = 120s;
    o.connect_retry_interval = 0ms;
    o.validate_after_idle = 0ms;  // ping at every checkout from idle: more paths under TSan
    return o;
}

TEST(PoolConcurrency, EightThreadsShareFourConnectionsWithRandomPoison) {
    test::FakeResourceFactory fakes;
    BlockingPool pool(BlockingPoolSetup{
        .options = four_connections(), .factory = fakes.factory(), .endpoint = "stress:1", .jitter_seed = 1});
    // Each resource id may be held by one lease at a time.
    auto holders = std::make_unique<std::atomic<int>[]>(100'000);
    std::atomic<int> leased_now{0};
    std::atomic<int> max_leased{0};
    std::atomic<int> poisoned{0};
    std::atomic<int> overlap{0};
    std::atomic<bool> done{false};

    std::thread upkeep([&] {
        std::uint64_t rounds = 0;
        while (!done.load()) {
            pool.maintain();
            if (++rounds % 512 == 0) pool.bump_generation();
            std::this_thread::yield();
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
        workers.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t + 1));
            std::uniform_int_distribution<int> dice(0, 99);
            for (int i = 0; i < kIterations; ++i) {
                Lease lease = pool.acquire();
                auto& r = lease.as<FakeResource>();
                if (holders[static_cast<std::size_t>(r.id())].fetch_add(1) != 0) ++overlap;
                const int now_leased = ++leased_now;
                int seen = max_leased.load();
                while (now_leased > seen && !max_leased.compare_exchange_weak(seen, now_leased)) {
                }
                const int roll = dice(rng);
                --leased_now;
                holders[static_cast<std::size_t>(r.id())].fetch_sub(1);
                if (roll < 3) {
                    ++poisoned;
                    lease.release_broken();
                } else if (roll < 5) {
                    r.die();  // found dead at the next checkout, replaced there
                } else if (roll < 7) {
                    r.make_dirty();  // reset() says MustClose
                }
            }
        });
    }
    for (std::thread& w : workers) w.join();
    done = true;
    upkeep.join();

    const PoolStats s = pool.stats();
    EXPECT_EQ(overlap.load(), 0);
    EXPECT_LE(max_leased.load(), 4);
    EXPECT_LE(s.total, 4U);
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.waiting, 0U);
    EXPECT_EQ(s.opening, 0U);
    EXPECT_EQ(s.closing, 0U);
    EXPECT_EQ(s.acquired, static_cast<std::uint64_t>(kThreads) * kIterations);
    EXPECT_EQ(s.released, s.acquired);
    EXPECT_EQ(s.created - s.closed, s.idle);
    EXPECT_EQ(static_cast<std::uint64_t>(fakes.opens()), s.created);
    EXPECT_EQ(static_cast<std::uint64_t>(fakes.closes()), s.closed);
    EXPECT_GE(s.closed, static_cast<std::uint64_t>(poisoned.load()));
    std::uint64_t histogram = 0;
    for (const std::uint64_t n : s.acquire_wait) histogram += n;
    EXPECT_EQ(histogram, s.acquired);
}

TEST(PoolConcurrency, ShutdownWhileThreadsAcquireEndsEveryThreadWithShutDown) {
    test::FakeResourceFactory fakes;
    std::atomic<int> ended_by_shutdown{0};
    std::atomic<int> cycles{0};
    {
        BlockingPool pool(BlockingPoolSetup{.options = four_connections(), .factory = fakes.factory()});
        std::vector<std::thread> workers;
        for (int t = 0; t < kThreads; ++t) {
            workers.emplace_back([&] {
                try {
                    for (;;) {
                        Lease lease = pool.acquire();
                        ++cycles;
                    }
                } catch (const ShutDown&) {
                    ++ended_by_shutdown;
                }
            });
        }
        while (cycles.load() < 2000) std::this_thread::yield();
        EXPECT_TRUE(pool.shutdown(120s));
        for (std::thread& w : workers) w.join();
    }
    EXPECT_EQ(ended_by_shutdown.load(), kThreads);
    EXPECT_EQ(fakes.opens(), fakes.closes());
    EXPECT_EQ(fakes.destroyed(), fakes.opens());
}

TEST(PoolConcurrency, LeasesReturnedFromOtherThreadsAfterThePoolIsGone) {
    test::FakeResourceFactory fakes;
    std::vector<Lease> leases;
    {
        BlockingPool pool(BlockingPoolSetup{.options = four_connections(), .factory = fakes.factory()});
        for (int i = 0; i < 4; ++i) leases.push_back(pool.acquire());
    }
    std::vector<std::thread> returners;
    for (Lease& lease : leases) returners.emplace_back([l = std::move(lease)]() mutable { l.release(); });
    for (std::thread& r : returners) r.join();
    EXPECT_EQ(fakes.closes(), 4);
    EXPECT_EQ(fakes.destroyed(), 4);
}

}  // namespace
}  // namespace ucm::pool
