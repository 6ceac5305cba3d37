// Coroutines on an io_context run by two threads, and threads beside them, on one pool, with TSan
// as the oracle (label `concurrency`). The real coarse clock drives the pool; no sleeps.
#include "pool/blocking_pool.hpp"
#include "support/fake_resource.hpp"

#include <ucm/core/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

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

constexpr int kCoroutines = 200;
constexpr int kCycles = 60;
constexpr int kThreads = 2;

PoolOptions four_connections() {
    PoolOptions o;
    o.size = 2;
    o.max_overflow = 2;
    o.acquire_timeout = 120s;
    o.connect_retry_interval = 0ms;
    o.validate_after_idle = 0ms;  // every checkout from idle pings (on the blocking-work threads)
    return o;
}

struct Score {
    std::unique_ptr<std::atomic<int>[]> holders = std::make_unique<std::atomic<int>[]>(100'000);
    std::atomic<int> overlap{0};
    std::atomic<int> cycles{0};
    std::atomic<int> finished{0};
    std::atomic<int> failed{0};
};

// While a lease is held, no other holds the same connection: counted from checkout until the
// Holding ends (also when a cancellation unwinds the coroutine that holds it).
class Holding {
public:
    Holding(Lease& lease, Score& score) : count_(score.holders[static_cast<std::size_t>(lease.as<FakeResource>().id())]) {
        if (count_.fetch_add(1) != 0) ++score.overlap;
    }
    ~Holding() { count_.fetch_sub(1); }
    Holding(const Holding&) = delete;
    Holding& operator=(const Holding&) = delete;

private:
    std::atomic<int>& count_;
};

// After use: now and then the connection is poisoned, dies or comes back dirty.
void end_use(Lease& lease, Score& score, std::mt19937& rng) {
    auto& r = lease.as<FakeResource>();
    const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
    if (roll < 3) {
        lease.release_broken();
    } else if (roll < 5) {
        r.die();
    } else if (roll < 7) {
        r.make_dirty();
    }
    ++score.cycles;
}

asio::awaitable<void> cycle(BlockingPool& pool, Score& score, unsigned seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < kCycles; ++i) {
        Lease lease = co_await pool.async_acquire_until(TimePoint::max());
        {
            const Holding holding(lease, score);
            co_await asio::post(asio::use_awaitable);  // hold it across a suspension: others run meanwhile
        }
        end_use(lease, score, rng);
    }
}

TEST(AsyncPoolConcurrency, CoroutinesOnTwoThreadsAndPlainThreadsShareFourConnections) {
    test::FakeResourceFactory fakes;
    fakes.state().resets_need_io = true;  // releases go through the blocking-work threads too
    BlockingPool pool(BlockingPoolSetup{
        .options = four_connections(), .factory = fakes.factory(), .endpoint = "stress:1", .jitter_seed = 1});
    Score score;
    asio::io_context io;
    for (int c = 0; c < kCoroutines; ++c) {
        asio::co_spawn(io, cycle(pool, score, static_cast<unsigned>(c + 1)), [&](std::exception_ptr e) {
            if (e) ++score.failed;
            ++score.finished;
        });
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([&] { io.run(); });
    std::vector<std::thread> blocking;
    for (int t = 0; t < kThreads; ++t) {
        blocking.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(1000 + t));
            for (int i = 0; i < kCycles * 10; ++i) {
                Lease lease = pool.acquire();
                {
                    const Holding holding(lease, score);
                    std::this_thread::yield();
                }
                end_use(lease, score, rng);
            }
        });
    }
    std::thread upkeep([&] {
        std::uint64_t rounds = 0;
        while (score.finished.load() < kCoroutines) {
            pool.maintain();
            if (++rounds % 256 == 0) pool.bump_generation();
            std::this_thread::yield();
        }
    });
    for (std::thread& t : blocking) t.join();
    for (std::thread& t : threads) t.join();
    upkeep.join();

    EXPECT_EQ(score.failed.load(), 0);
    EXPECT_EQ(score.overlap.load(), 0);
    EXPECT_EQ(score.cycles.load(), kCoroutines * kCycles + kThreads * kCycles * 10);
    ASSERT_TRUE(pool.shutdown(60s));  // every deferred release came back
    const PoolStats s = pool.stats();
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.waiting, 0U);
    EXPECT_EQ(s.released, s.acquired);
}

// Half the coroutines are cancelled at random moments while they wait or hold a connection.
TEST(AsyncPoolConcurrency, CancellationsAtRandomMomentsLeakNothing) {
    test::FakeResourceFactory fakes;
    BlockingPool pool(BlockingPoolSetup{
        .options = four_connections(), .factory = fakes.factory(), .endpoint = "stress:2", .jitter_seed = 2});
    Score score;
    asio::io_context io;
    std::vector<std::unique_ptr<asio::cancellation_signal>> signals;
    std::vector<asio::strand<asio::io_context::executor_type>> strands;
    for (int c = 0; c < kCoroutines; ++c) {
        signals.push_back(std::make_unique<asio::cancellation_signal>());
        strands.push_back(asio::make_strand(io));
        asio::co_spawn(strands.back(), cycle(pool, score, static_cast<unsigned>(c + 7)),
                       asio::bind_cancellation_slot(signals.back()->slot(), [&](std::exception_ptr e) {
                           if (e) ++score.failed;
                           ++score.finished;
                       }));
    }
    // Each signal is emitted on its coroutine's strand (a signal is not thread-safe), at staggered
    // moments, so that some coroutines are queued, some hold a connection and some are done.
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    for (int c = 0; c < kCoroutines; c += 2) {
        const auto i = static_cast<std::size_t>(c);
        timers.push_back(std::make_unique<asio::steady_timer>(strands[i], std::chrono::microseconds(c * 20)));
        timers.back()->async_wait([&, i](std::error_code) { signals[i]->emit(asio::cancellation_type::terminal); });
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([&] { io.run(); });
    for (std::thread& t : threads) t.join();

    EXPECT_EQ(score.finished.load(), kCoroutines);
    EXPECT_EQ(score.overlap.load(), 0);
    EXPECT_GT(score.failed.load(), 0);  // cancelled ones end with operation_aborted
    ASSERT_TRUE(pool.shutdown(60s));
    const PoolStats s = pool.stats();
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.waiting, 0U);
    EXPECT_EQ(s.opening, 0U);
    EXPECT_EQ(s.released, s.acquired);
}

}  // namespace
}  // namespace ucm::pool
