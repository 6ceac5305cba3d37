// The coroutine API of a pooled Redis lease (async_command, async_pipeline) against the shared
// sandbox's master: the sync API's behaviours through coroutines on a single-threaded io_context,
// and that thread never blocked. Every key has a unique prefix: the master is shared.
#include "pool/blocking_pool.hpp"
#include "redis/redis_pooled_connection.hpp"
#include "support/redis_support.hpp"
#include "support/run_coroutine.hpp"

#include <ucm/core/error.hpp>
#include <ucm/redis/connection.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace ucm::test {
namespace {

using namespace std::string_literals;
using namespace asio::experimental::awaitable_operators;
using redis::Reply;

Config async_manager_config(std::string_view prefix, std::size_t pool_size = 2) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, prefix);
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()},
                                .connect_timeout = 2s,
                                .command_timeout = 5s};
    config.pool.size = pool_size;
    return config;
}

pool::PoolStats read_write_stats(UnifiedConnectionManager& manager) {
    return redis_pool_of(manager.connection_info().redis_pools, ConnectionMode::ReadWrite).stats;
}

asio::awaitable<void> tick_until(std::atomic<int>& ticks, const std::atomic<bool>& done) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!done) {
        timer.expires_after(1ms);
        co_await timer.async_wait(asio::use_awaitable);
        ++ticks;
    }
}

TEST(RedisAsync, SetGetIncrRoundTripAndTheWordsAreCopiedWhenCalled) {
    UnifiedConnectionManager manager(async_manager_config("async-roundtrip"));
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string k = unique_key("async-roundtrip");
    const std::string binary = "a\0b\r\n$3\r\nxyz\r\n\0"s;
    run([&]() -> asio::awaitable<void> {
        const Reply set = co_await conn.async_command("SET", k + "bin", binary);
        EXPECT_EQ(set.as_string(), "OK");
        const Reply got = co_await conn.async_command("GET", k + "bin");
        EXPECT_EQ(got.as_string(), binary);  // embedded NULs and CR LF survive both ways
        const Reply missing = co_await conn.async_command("GET", k + "missing");
        EXPECT_TRUE(missing.is_nil());
        const Reply one = co_await conn.async_command("INCR", k + "n");
        EXPECT_EQ(one.as_integer(), 1);
        const Reply answer = co_await conn.async_command("INCRBY", k + "n", 41);
        EXPECT_EQ(answer.as_integer(), 42);

        // The awaitable is made, then its arguments change before it first runs: it must send
        // what it was called with.
        std::string value = "first";
        auto set_copied = conn.async_command("SET", k + "copied", value);
        value.assign(64, 'x');
        (void)co_await std::move(set_copied);
        const Reply copied = co_await conn.async_command("GET", k + "copied");
        EXPECT_EQ(copied.as_string(), "first");

        std::vector<std::string> del{"DEL", k + "bin", k + "n", k + "copied"};
        const Reply deleted = co_await conn.async_command_argv(std::move(del), deadline_after(5s));
        EXPECT_EQ(deleted.as_integer(), 3);
    }());
}

TEST(RedisAsync, ErrorReplyIsThrownTypedAndInPlaceInAPipeline) {
    UnifiedConnectionManager manager(async_manager_config("async-errreply"));
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string k = unique_key("async-errreply");
    run([&]() -> asio::awaitable<void> {
        (void)co_await conn.async_command("SET", k + "s", "text");
        try {
            (void)co_await conn.async_command("LPUSH", k + "s", "x");
            ADD_FAILURE() << "no exception";
        } catch (const RedisError& e) {
            EXPECT_EQ(e.code(), Errc::redis_error);
            EXPECT_FALSE(e.poisons_connection());
            EXPECT_NE(std::string(e.what()).find("WRONGTYPE"), std::string::npos) << e.what();
        }
        std::vector<redis::Command> commands{redis::args("INCR", k + "s"), redis::args("GET", k + "s"),
                                             redis::args("DEL", k + "s")};
        const auto replies = co_await conn.async_pipeline(std::move(commands));
        EXPECT_EQ(replies.size(), 3U);
        EXPECT_TRUE(replies.at(0).is_error());
        EXPECT_EQ(replies.at(1).as_string(), "text");
        EXPECT_EQ(replies.at(2).as_integer(), 1);
        const Reply pong = co_await conn.async_command("PING");
        EXPECT_EQ(pong.as_string(), "PONG");
    }());
    conn.release();
    EXPECT_EQ(read_write_stats(manager).closed, 0U) << "an error reply closed the connection";
}

asio::awaitable<void> count_up(redis::Connection& conn, std::string key, int n, std::atomic<int>& correct,
                               std::atomic<int>& in_flight, std::atomic<int>& most_in_flight) {
    for (int i = 1; i <= n; ++i) {
        most_in_flight = std::max(most_in_flight.load(), ++in_flight);
        const Reply r = co_await conn.async_command("INCR", key);
        --in_flight;
        if (r.as_integer() == i) ++correct;
    }
    (void)co_await conn.async_command("DEL", key);
}

TEST(RedisAsync, SixteenCoroutinesWithTheirOwnLeasesInterleaveOnOneThread) {
    constexpr std::size_t kCoroutines = 16;
    constexpr int kCommands = 1'000;
    UnifiedConnectionManager manager(async_manager_config("async-sixteen", kCoroutines));
    std::vector<redis::Connection> leases;
    for (std::size_t c = 0; c < kCoroutines; ++c) leases.push_back(manager.redis(ConnectionMode::ReadWrite));
    const std::string k = unique_key("async-sixteen");
    std::atomic<int> correct{0};
    std::atomic<int> in_flight{0};
    std::atomic<int> most_in_flight{0};
    asio::io_context io;
    std::vector<std::future<void>> done;
    for (std::size_t c = 0; c < kCoroutines; ++c) {
        done.push_back(asio::co_spawn(
            io, count_up(leases[c], k + std::to_string(c), kCommands, correct, in_flight, most_in_flight),
            asio::use_future));
    }
    io.run();
    for (auto& d : done) d.get();
    EXPECT_EQ(correct.load(), static_cast<int>(kCoroutines) * kCommands);
    // A driver that blocked the thread would finish one command before starting the next.
    EXPECT_GT(most_in_flight.load(), 1);
}

TEST(RedisAsync, PipelineOfTenThousandCommands) {
    UnifiedConnectionManager manager(async_manager_config("async-pipeline"));
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string key = unique_key("async-pipeline") + "n";
    std::vector<redis::Command> commands;
    for (int i = 0; i < 10'000; ++i) commands.push_back(redis::args("INCR", key));
    commands.push_back(redis::args("DEL", key));
    const auto replies = run(conn.async_pipeline(std::move(commands), deadline_after(30s)));
    ASSERT_EQ(replies.size(), 10'001U);
    int in_order = 0;
    for (std::size_t i = 0; i < 10'000; ++i) {
        in_order += replies[i].as_integer() == static_cast<std::int64_t>(i) + 1 ? 1 : 0;
    }
    EXPECT_EQ(in_order, 10'000);
    EXPECT_EQ(replies.back().as_integer(), 1);
}

TEST(RedisAsync, PipelineOfLargeValuesBothWaysDoesNotDeadlockOnSocketBuffers) {
    constexpr std::size_t kValues = 100;
    UnifiedConnectionManager manager(async_manager_config("async-large"));
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string k = unique_key("async-large");
    // 100 MiB out, then the same back in one pipeline: replies arrive while commands still go out.
    std::vector<redis::Command> commands;
    const auto fill = [](std::size_t i) { return static_cast<char>('a' + i % 26); };
    for (std::size_t i = 0; i < kValues; ++i) {
        commands.push_back(redis::args("SET", k + std::to_string(i), std::string(1U << 20, fill(i))));
    }
    for (std::size_t i = 0; i < kValues; ++i) commands.push_back(redis::args("GET", k + std::to_string(i)));
    for (std::size_t i = 0; i < kValues; ++i) commands.push_back(redis::args("DEL", k + std::to_string(i)));
    const auto replies = run(conn.async_pipeline(std::move(commands), deadline_after(60s)));
    ASSERT_EQ(replies.size(), 3U * kValues);
    std::size_t intact = 0;
    for (std::size_t i = 0; i < kValues; ++i) {
        const std::string& v = replies[kValues + i].as_string();
        const bool same = v.size() == (1U << 20) && v.find_first_not_of(fill(i)) == std::string::npos;
        if (replies[i].as_string() == "OK" && same) ++intact;
    }
    EXPECT_EQ(intact, kValues);
}

TEST(RedisAsync, MissedDeadlineIsDeadlineExceededAndTheLeaseGoesBackBroken) {
    UnifiedConnectionManager manager(async_manager_config("async-deadline"));
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string key = unique_key("async-deadline") + "empty";
    run([&]() -> asio::awaitable<void> {
        try {
            // Without a deadline of its own this would answer nil after 5 s.
            std::vector<std::string> blpop{"BLPOP", key, "5"};
            const Reply r = co_await conn.async_command_argv(std::move(blpop), deadline_after(100ms));
            ADD_FAILURE() << "BLPOP answered " << to_string(r.type());
        } catch (const DeadlineExceeded& e) {
            EXPECT_TRUE(e.poisons_connection());
            EXPECT_FALSE(e.retriable()) << "sent on a ReadWrite lease: it may have been applied";
        }
    }());
    EXPECT_THROW(conn.command("PING"), ConnectionFailed) << "a poisoned connection took another command";
    conn.release();
    const auto stats = read_write_stats(manager);
    EXPECT_EQ(stats.closed, 1U);
    EXPECT_EQ(stats.in_use, 0U);
}

TEST(RedisAsync, AOneMillisecondTickerKeepsTickingWhileACommandWaits) {
    UnifiedConnectionManager manager(async_manager_config("async-ticker"));
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string key = unique_key("async-ticker") + "empty";
    asio::io_context io;
    std::atomic<int> ticks{0};
    std::atomic<bool> done{false};
    asio::co_spawn(io, tick_until(ticks, done), asio::detached);
    auto slow = asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const int before = ticks;
            const Reply r =
                co_await conn.async_command("BLPOP", key, "0.3");  // the server answers nil after 300 ms
            EXPECT_TRUE(r.is_nil());
            // A blocked thread would have run no tick at all while the server waited.
            EXPECT_GE(ticks - before, 10);
            done = true;
        },
        asio::use_future);
    io.run();
    slow.get();
}

// The command, recording whether it ended with the cancellation rethrown.
asio::awaitable<void> blpop_noting_cancellation(redis::Connection& conn, std::string key, bool& aborted) {
    try {
        (void)co_await conn.async_command("BLPOP", key, 5);
    } catch (const asio::system_error& e) {
        aborted = e.code() == asio::error::operation_aborted;
        throw;
    }
}

TEST(RedisAsync, CancellingTheCoroutineClosesTheConnectionAndThePoolGetsItBackBroken) {
    const auto config = async_manager_config("async-cancel");
    UnifiedConnectionManager manager(config);
    RedisObserver observer;
    const std::string name = client_name_of(config);
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    ASSERT_EQ(observer.count_named(name), 1U);
    const std::string key = unique_key("async-cancel") + "empty";
    bool aborted = false;
    run([&]() -> asio::awaitable<void> {
        asio::steady_timer give_up(co_await asio::this_coro::executor, 100ms);
        auto race = blpop_noting_cancellation(conn, key, aborted) || give_up.async_wait(asio::use_awaitable);
        const auto winner = co_await std::move(race);
        EXPECT_EQ(winner.index(), 1U);
    }());
    EXPECT_TRUE(aborted) << "the cancellation was not rethrown";
    EXPECT_TRUE(eventually([&] { return observer.count_named(name) == 0; }))
        << "the abandoned socket stayed open";
    conn.release();
    auto stats = read_write_stats(manager);
    EXPECT_EQ(stats.in_use, 0U);
    EXPECT_EQ(stats.closed, 1U) << "the abandoned connection went back to the pool as usable";
    auto again = manager.redis(ConnectionMode::ReadWrite);
    EXPECT_EQ(run(again.async_command("PING")).as_string(), "PONG");
    again.release();
    stats = read_write_stats(manager);
    EXPECT_EQ(stats.in_use, 0U);
    EXPECT_EQ(stats.idle, 1U);
}

/// A lease of a pool of its own over a hand-built LeaseContext.
struct HandBuiltLease {
    explicit HandBuiltLease(redis::LeaseContext context, std::string client_name)
        : pool(pool::BlockingPoolSetup{
              .options = {.size = 1, .max_overflow = 0},
              .factory = [client_name](Deadline) -> std::unique_ptr<pool::PooledResource> {
                  return std::make_unique<redis::RedisPooledConnection>(
                      connect_redis({.client_name = client_name}), 0);
              },
              .endpoint = redis_master().to_string()}),
          conn(pool.acquire(), std::make_shared<const redis::LeaseContext>(std::move(context))) {}
    pool::BlockingPool pool;
    redis::Connection conn;
};

TEST(RedisAsync, WriteFenceHoldsTheWriteAndFailsRetriablyAtItsDeadlineWithNothingSent) {
    std::atomic<bool> fenced{true};
    const auto fence = [&fenced] { return fenced.load(); };
    const std::string name = unique_id("ucm-itest-fence");
    HandBuiltLease writer({.mode = ConnectionMode::ReadWrite, .write_fenced = fence}, name);
    HandBuiltLease reader({.mode = ConnectionMode::ReadOnly, .write_fenced = fence}, name + "-ro");
    RedisObserver observer;
    const std::string key = unique_key("async-fence") + "k";
    std::atomic<int> ticks{0};
    std::atomic<bool> done{false};
    asio::io_context io;
    asio::co_spawn(io, tick_until(ticks, done), asio::detached);
    auto held = asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const Reply read = co_await reader.conn.async_command("GET", key);
            EXPECT_TRUE(read.is_nil()) << "a ReadOnly lease was held";
            const int before = ticks;
            try {
                std::vector<std::string> set{"SET", key, "v"};
                (void)co_await writer.conn.async_command_argv(std::move(set), deadline_after(200ms));
                ADD_FAILURE() << "the write went through a raised fence";
            } catch (const NoPrimary& e) {
                EXPECT_TRUE(e.retriable());
                EXPECT_FALSE(e.poisons_connection());
            }
            EXPECT_GE(ticks - before, 10) << "the held write blocked the thread";
            done = true;
        },
        asio::use_future);
    io.run();
    held.get();
    EXPECT_TRUE(observer.run({"EXISTS", key}).as_integer() == 0) << "the held write reached the server";
    fenced = false;
    EXPECT_EQ(run(writer.conn.async_command("SET", key, "v")).as_string(), "OK")
        << "the connection was not kept";
    EXPECT_EQ(run(writer.conn.async_command("DEL", key)).as_integer(), 1);
}

TEST(RedisAsync, ManagerFenceHoldsACoroutineWriteWithoutBlockingUntilItLifts) {
    const auto config = redis_config("async-fence-lift");
    std::atomic<bool> fenced{true};
    // The two faces of the Sentinel tracker's fence: a blocking wait for threads, a flag for
    // coroutines, which poll it.
    RedisPools::Routing routing{.master = [target = redis_master()](Deadline) { return target; },
                                .await_writable =
                                    [&fenced](Deadline deadline) {
                                        while (fenced && SteadyClock::now() < deadline)
                                            std::this_thread::sleep_for(1ms);
                                        if (fenced) throw NoPrimary({.message = "fenced", .retriable = true});
                                    },
                                .write_fenced = [&fenced] { return fenced.load(); }};
    RedisPools pools(config, std::move(routing), client_name_of(config));
    auto conn = pools.acquire(ConnectionMode::ReadWrite, std::source_location::current());
    RedisObserver observer;
    const std::string key = unique_key("async-fence-lift") + "k";
    bool absent_while_fenced = false;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // Lifted from the same thread: a write that blocked it would wait for its deadline.
            asio::steady_timer later(co_await asio::this_coro::executor, 100ms);
            co_await later.async_wait(asio::use_awaitable);
            absent_while_fenced = observer.run({"EXISTS", key}).as_integer() == 0;
            fenced = false;
        },
        asio::detached);
    auto write =
        asio::co_spawn(io, conn.async_command_argv({"SET", key, "v"}, deadline_after(3s)), asio::use_future);
    io.run();
    EXPECT_EQ(write.get().as_string(), "OK");
    EXPECT_TRUE(absent_while_fenced) << "the write was not held";
    EXPECT_EQ(conn.command("DEL", key).as_integer(), 1);
}

}  // namespace
}  // namespace ucm::test
