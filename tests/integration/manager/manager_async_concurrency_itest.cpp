// The coroutine API with two threads running the io_context, beside plain threads, against the real
// primary; TSan is the oracle (label `concurrency`), the counters are the other.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/pg/pipeline.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include <thread>

namespace ucm::test {
namespace {

constexpr int kCoroutines = 400;
constexpr int kRounds = 10;

TEST(AsyncManagerConcurrency, CoroutinesOnTwoThreadsAndThreadsShareThePoolsAndEveryLeaseComesBack) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, "async-stress");
    config.pool.size = 4;
    config.pool.max_overflow = 2;
    config.pool.acquire_timeout = 60s;
    UnifiedConnectionManager manager(config);
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::atomic<int> finished{0};
    asio::io_context io;
    auto one = [&](int c) -> asio::awaitable<void> {
        for (int i = 0; i < kRounds; ++i) {
            const ConnectionMode mode = (c + i) % 3 == 0 ? ConnectionMode::ReadOnly : ConnectionMode::ReadWrite;
            pg::Connection conn = co_await manager.async_connection(mode);
            if (i % 4 == 3) {
                pg::Pipeline batch;
                batch.add("SELECT $1::int", std::int32_t{c}).add("SELECT $1::int", std::int32_t{i});
                auto outcomes = co_await conn.async_execute_pipeline(batch, pg::PipelineMode::Independent,
                                                                     deadline_after(30s));
                if (outcomes.size() == 2 && outcomes[0].result()[0].get<std::int32_t>(0) == c &&
                    outcomes[1].result()[0].get<std::int32_t>(0) == i) {
                    ok.fetch_add(1);
                }
            } else {
                pg::Result r = co_await conn.async_execute("SELECT $1::int + $2::int", std::int32_t{c}, std::int32_t{i});
                if (r[0].get<std::int32_t>(0) == c + i) ok.fetch_add(1);
            }
            if (i % 5 == 4) conn.release_broken();  // some connections are closed, not pooled
        }
    };
    for (int c = 0; c < kCoroutines; ++c) {
        asio::co_spawn(io, one(c), [&](std::exception_ptr e) {
            if (e) failed.fetch_add(1);
            finished.fetch_add(1);
        });
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) threads.emplace_back([&] { io.run(); });
    std::thread blocking([&] {
        for (int i = 0; i < 200; ++i) {
            try {
                auto conn = manager.connection(ConnectionMode::ReadWrite);
                if (conn.execute("SELECT 1")[0].get<std::int32_t>(0) == 1) ok.fetch_add(1);
            } catch (const Error&) {
                failed.fetch_add(1);
            }
        }
    });
    blocking.join();
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(finished.load(), kCoroutines);
    EXPECT_EQ(ok.load(), kCoroutines * kRounds + 200);
    EXPECT_TRUE(manager.shutdown(30s));  // every lease, and every deferred reset, came back
    const auto info = manager.connection_info();
    for (ConnectionMode access : {ConnectionMode::ReadOnly, ConnectionMode::ReadWrite}) {
        const auto& stats = pool_of(info, access).stats;
        EXPECT_EQ(stats.in_use, 0u);
        EXPECT_EQ(stats.waiting, 0u);
        EXPECT_EQ(stats.acquired, stats.released);
    }
}

// Coroutines cancelled while they wait, hold a connection, or run a statement; with strands so
// each cancellation signal is emitted where its coroutine runs.
TEST(AsyncManagerConcurrency, CancellationsOnTwoThreadsLeakNoConnection) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, "async-cancel-stress");
    config.pool.size = 2;
    config.pool.max_overflow = 1;
    config.pool.acquire_timeout = 60s;
    UnifiedConnectionManager manager(config);
    asio::io_context io;
    std::atomic<int> finished{0};
    std::atomic<int> cancelled{0};
    auto one = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < kRounds; ++i) {
            pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadWrite);
            (void)co_await conn.async_execute("SELECT pg_sleep(0.001)");
        }
    };
    std::vector<std::unique_ptr<asio::cancellation_signal>> signals;
    std::vector<asio::strand<asio::io_context::executor_type>> strands;
    for (int c = 0; c < 100; ++c) {
        signals.push_back(std::make_unique<asio::cancellation_signal>());
        strands.push_back(asio::make_strand(io));
        asio::co_spawn(strands.back(), one(), asio::bind_cancellation_slot(signals.back()->slot(), [&](std::exception_ptr e) {
                           if (e) cancelled.fetch_add(1);
                           finished.fetch_add(1);
                       }));
    }
    for (int c = 0; c < 100; c += 2) {
        asio::post(strands[static_cast<std::size_t>(c)],
                   [&, c] { signals[static_cast<std::size_t>(c)]->emit(asio::cancellation_type::terminal); });
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) threads.emplace_back([&] { io.run(); });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(finished.load(), 100);
    EXPECT_GT(cancelled.load(), 0);
    EXPECT_TRUE(eventually([&] {
        return pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.in_use == 0;
    }));
    AdminConnection admin(sandbox_env().pg_primary);
    EXPECT_TRUE(eventually([&] { return admin.backends_of(application_name(manager.config())) <= 3; }));
    auto conn = manager.connection(ConnectionMode::ReadWrite);  // the pool still serves
    EXPECT_EQ(conn.execute("SELECT 2")[0].get<std::int32_t>(0), 2);
}

}  // namespace
}  // namespace ucm::test
