// The coroutine API of the manager against the shared sandbox: the blocking API's behaviours
// (typed queries, transactions, deadlines, InDoubt, access, read-only) through co_await, the
// FIFO shared by 10,000 coroutines, and cancellation.
#include "support/manager_support.hpp"
#include "support/redis_support.hpp"
#include "support/run_coroutine.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/core/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <atomic>
#include <future>
#include <thread>

namespace ucm::test {
namespace {

using namespace asio::experimental::awaitable_operators;

Config async_config(std::string_view prefix) {
    return manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, prefix);
}

std::string unique_table(std::string_view prefix) {
    std::string name = unique_id(prefix);
    for (char& c : name) {
        if (c == '-') c = '_';
    }
    return name;
}

TEST(AsyncManager, ConnectionRunsATypedQuery) {
    UnifiedConnectionManager manager(async_config("async-query"));
    const auto answer = run([&]() -> asio::awaitable<std::int32_t> {
        pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadWrite);
        const std::int32_t forty_one = 41;
        pg::Result rows = co_await conn.async_execute("SELECT $1::int4 + 1", forty_one);
        co_return rows[0].get<std::int32_t>(0);
    }());
    EXPECT_EQ(answer, 42);
    EXPECT_EQ(pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.in_use, 0U);
}

TEST(AsyncManager, SessionCommitsAndAnUnfinishedOneRollsBack) {
    AdminConnection admin(sandbox_env().pg_primary);
    const std::string table = unique_table("async_tx");
    admin.exec("CREATE TABLE " + table + "(id int PRIMARY KEY)");
    UnifiedConnectionManager manager(async_config("async-tx"));
    const std::string insert = "INSERT INTO " + table + "(id) VALUES ($1)";
    run([&]() -> asio::awaitable<void> {
        {
            pg::Session tx = co_await manager.async_session(ConnectionMode::ReadWrite);
            co_await tx.async_execute(insert, std::int32_t{1});
            co_await tx.async_commit();
        }
        {
            pg::Session tx = co_await manager.async_session(ConnectionMode::ReadWrite);
            co_await tx.async_execute(insert, std::int32_t{2});
        }  // never committed: rolled back at release (off the executor)
        {
            pg::Session tx = co_await manager.async_session(ConnectionMode::ReadWrite);
            co_await tx.async_execute(insert, std::int32_t{3});
            co_await tx.async_rollback();
        }
    }());
    EXPECT_TRUE(eventually([&] {
        return pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.in_use == 0;
    }));
    EXPECT_EQ(admin.exec("SELECT string_agg(id::text, ',' ORDER BY id) FROM " + table)[0].get<std::string>(0), "1");
    admin.exec("DROP TABLE " + table);
}

TEST(AsyncManager, RunTransactionReturnsWhatTheCoroutineReturnsAndCommits) {
    AdminConnection admin(sandbox_env().pg_primary);
    const std::string table = unique_table("async_run_tx");
    admin.exec("CREATE TABLE " + table + "(id int PRIMARY KEY)");
    UnifiedConnectionManager manager(async_config("async-run-tx"));
    const std::string insert = "INSERT INTO " + table + "(id) VALUES (7)";
    const std::string count = "SELECT count(*) FROM " + table;
    const auto seen = run(manager.async_run_transaction([&](pg::Session& tx) -> asio::awaitable<std::int64_t> {
        co_await tx.async_execute(insert);
        pg::Result rows = co_await tx.async_execute(count);
        co_return rows[0].get<std::int64_t>(0);
    }));
    EXPECT_EQ(seen, 1);
    EXPECT_EQ(admin.exec(count)[0].get<std::int64_t>(0), 1);
    admin.exec("DROP TABLE " + table);
}

TEST(AsyncManager, RunTransactionRerunsASerializationFailure) {
    UnifiedConnectionManager manager(async_config("async-retry"));
    int attempts = 0;
    run(manager.async_run_transaction([&](pg::Session& tx) -> asio::awaitable<void> {
        ++attempts;
        if (attempts == 1) {
            const std::string fail = "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$";
            co_await tx.async_execute(fail);
        }
        co_await tx.async_execute("SELECT 1");
    }));
    EXPECT_EQ(attempts, 2);
}

TEST(AsyncManager, StatementPastItsDeadlineIsDeadlineExceededOnReadsAndInDoubtOnWrites) {
    UnifiedConnectionManager manager(async_config("async-deadline"));
    run([&]() -> asio::awaitable<void> {
        pg::Connection reader = co_await manager.async_connection(ConnectionMode::ReadOnly);
        try {
            (void)co_await reader.async_execute_params("SELECT pg_sleep(5)", {}, deadline_after(200ms));
            ADD_FAILURE() << "a 5 s sleep met a 200 ms deadline";
        } catch (const DeadlineExceeded&) {
        }
        pg::Connection writer = co_await manager.async_connection(ConnectionMode::ReadWrite);
        try {
            (void)co_await writer.async_execute_params("SELECT pg_sleep(5)", {}, deadline_after(200ms));
            ADD_FAILURE() << "a 5 s sleep met a 200 ms deadline";
        } catch (const InDoubt&) {  // an autocommit statement on a lease that may write
        }
    }());
    AdminConnection admin(sandbox_env().pg_primary);
    const std::string app = application_name(manager.config());
    EXPECT_TRUE(eventually([&] {
        return admin
                   .exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE "
                         "'%pg_sleep(5)%' AND state = 'active'",
                         pg::params(app))[0]
                   .get<std::int64_t>(0) == 0;
    })) << "the server stopped both sleeps";
}

TEST(AsyncManager, AccessOutsideTheModeIsDenied) {
    UnifiedConnectionManager manager(async_config("async-denied"));  // AsyncModern: ReadOnly, ReadWrite
    EXPECT_THROW(run(manager.async_connection(ConnectionMode::Admin)), AccessDenied);
}

TEST(AsyncManager, ReadOnlyLeaseRefusesAWrite) {
    UnifiedConnectionManager manager(async_config("async-readonly"));
    try {
        run([&]() -> asio::awaitable<void> {
            pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadOnly);
            (void)co_await conn.async_execute("CREATE TEMP TABLE nope(id int)");
        }());
        FAIL() << "a read-only lease wrote";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::read_only_violation) << e.what();
    }
}

TEST(AsyncManager, CancelledAcquireOnAnExhaustedPoolTakesNothing) {
    auto config = async_config("async-cancel");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    config.pool.acquire_timeout = 30s;
    UnifiedConnectionManager manager(config);
    pg::Connection held = manager.connection(ConnectionMode::ReadWrite);
    const bool timer_won = run([&]() -> asio::awaitable<bool> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        auto race = manager.async_connection(ConnectionMode::ReadWrite) || timer.async_wait(asio::use_awaitable);
        auto winner = co_await std::move(race);
        co_return winner.index() == 1;
    }());
    EXPECT_TRUE(timer_won);
    const auto stats = pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats;
    EXPECT_EQ(stats.waiting, 0U);
    EXPECT_EQ(stats.in_use, 1U);
    held.release();
    auto again = manager.connection(ConnectionMode::ReadWrite);  // the pool's one connection is free
    EXPECT_EQ(again.execute("SELECT 3")[0].get<std::int32_t>(0), 3);
}

TEST(AsyncManager, CancelledStatementIsStoppedOnTheServerAndTheLeaseClosed) {
    UnifiedConnectionManager manager(async_config("async-cancel-query"));
    run([&]() -> asio::awaitable<void> {
        pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadOnly);
        asio::steady_timer timer(co_await asio::this_coro::executor, 200ms);
        auto race = conn.async_execute("SELECT pg_sleep(30)") || timer.async_wait(asio::use_awaitable);
        auto winner = co_await std::move(race);
        EXPECT_EQ(winner.index(), 1U);
    }());
    AdminConnection admin(sandbox_env().pg_primary);
    const std::string app = application_name(manager.config());
    EXPECT_TRUE(eventually([&] {
        return admin
                   .exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE "
                         "'%pg_sleep(30)%'",
                         pg::params(app))[0]
                   .get<std::int64_t>(0) == 0;
    }));
    EXPECT_EQ(pool_of(manager.connection_info(), ConnectionMode::ReadOnly).stats.in_use, 0U);
}

// What a caller sees when its statement is cancelled: a read is simply cancelled; an autocommit
// write that may have committed before the cancel reached the server is InDoubt.
TEST(AsyncManager, CancelledReadIsOperationAbortedAndCancelledWriteIsInDoubt) {
    UnifiedConnectionManager manager(async_config("async-cancel-kinds"));
    for (ConnectionMode mode : {ConnectionMode::ReadOnly, ConnectionMode::ReadWrite}) {
        asio::io_context io;
        asio::cancellation_signal cancel;
        auto work = [&]() -> asio::awaitable<void> {
            pg::Connection conn = co_await manager.async_connection(mode);
            (void)co_await conn.async_execute("SELECT pg_sleep(30)");
        };
        std::exception_ptr ended;
        asio::co_spawn(io, work(), asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { ended = e; }));
        asio::steady_timer later(io, 200ms);
        later.async_wait([&](std::error_code) { cancel.emit(asio::cancellation_type::terminal); });
        io.run();
        ASSERT_TRUE(ended) << to_string(mode);
        try {
            std::rethrow_exception(ended);
        } catch (const InDoubt&) {
            EXPECT_EQ(mode, ConnectionMode::ReadWrite);
        } catch (const std::system_error& e) {
            EXPECT_EQ(mode, ConnectionMode::ReadOnly);
            EXPECT_EQ(e.code(), asio::error::operation_aborted) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << to_string(mode) << ": unexpected " << e.what();
        }
    }
    EXPECT_TRUE(eventually([&] {
        const auto info = manager.connection_info();
        return pool_of(info, ConnectionMode::ReadOnly).stats.in_use == 0 &&
               pool_of(info, ConnectionMode::ReadWrite).stats.in_use == 0;
    }));
}

// DESIGN "Modes": AsyncModern is 12 + 8. 10,000 coroutines queue behind 20 held connections on
// one thread; each is granted in the order it asked, runs a statement, and gives the lease back.
TEST(AsyncManager, TenThousandCoroutinesAreServedInEnqueueOrderAndThePoolEndsIdle) {
    constexpr int kCoroutines = 10'000;
    auto config = async_config("async-10k");
    config.pool.acquire_timeout = 120s;
    UnifiedConnectionManager manager(config);
    asio::io_context io;
    std::vector<int> granted;
    granted.reserve(kCoroutines);
    int enqueued = 0;
    int done = 0;
    int failed = 0;
    std::vector<pg::Connection> held;
    auto hold_all = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i) held.push_back(co_await manager.async_connection(ConnectionMode::ReadWrite));
    };
    asio::co_spawn(io, hold_all(), asio::detached);
    io.run();
    ASSERT_EQ(held.size(), 20U);
    io.restart();
    auto one = [&](int id) -> asio::awaitable<void> {
        ++enqueued;
        pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadWrite);
        granted.push_back(id);
        pg::Result r = co_await conn.async_execute("SELECT 1");
        if (r[0].get<std::int32_t>(0) != 1) ++failed;
    };
    for (int i = 0; i < kCoroutines; ++i) {
        asio::co_spawn(io, one(i), [&](std::exception_ptr e) {
            if (e) ++failed;
            ++done;
        });
    }
    io.poll();  // every coroutine runs up to its acquire and queues
    ASSERT_EQ(enqueued, kCoroutines);
    EXPECT_EQ(pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.waiting,
              static_cast<std::size_t>(kCoroutines));
    held.clear();
    io.run();
    EXPECT_EQ(done, kCoroutines);
    EXPECT_EQ(failed, 0);
    ASSERT_EQ(granted.size(), static_cast<std::size_t>(kCoroutines));
    bool in_order = true;
    for (int i = 0; i < kCoroutines; ++i) in_order = in_order && granted[static_cast<std::size_t>(i)] == i;
    EXPECT_TRUE(in_order) << "grant order differs from enqueue order";
    const auto stats = pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats;
    EXPECT_EQ(stats.in_use, 0U);
    EXPECT_EQ(stats.waiting, 0U);
    EXPECT_LE(stats.total, 20U);
    AdminConnection admin(sandbox_env().pg_primary);
    EXPECT_LE(admin.backends_of(application_name(manager.config())), 20);
}

TEST(AsyncManager, InternalExecutorRunsCoroutinesForServicesWithoutAnIoContext) {
    UnifiedConnectionManager manager(async_config("async-executor"));
    auto work = [&]() -> asio::awaitable<std::thread::id> {
        pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadWrite);
        (void)co_await conn.async_execute("SELECT 1");
        co_return std::this_thread::get_id();
    };
    auto ran_on = asio::co_spawn(manager.executor(), work(), asio::use_future);
    ASSERT_EQ(ran_on.wait_for(10s), std::future_status::ready);
    EXPECT_NE(ran_on.get(), std::this_thread::get_id());
    EXPECT_TRUE(manager.shutdown(1s));
    auto after = asio::co_spawn(manager.executor(), manager.async_connection(ConnectionMode::ReadWrite),
                                asio::use_future);  // the executor still runs: the acquire ends at once
    ASSERT_EQ(after.wait_for(10s), std::future_status::ready);
    EXPECT_THROW(after.get(), ShutDown);
}

// A coroutine on the internal executor keeps the manager's inside alive while it waits; when it
// ends, the last reference goes on that very thread, which then stops itself without a join.
TEST(AsyncManager, ManagerDestroyedWhileACoroutineWaitsOnItsExecutorIsCleanedUpAfterIt) {
    auto config = async_config("async-orphan");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    config.pool.acquire_timeout = 500ms;
    const std::string app = application_name(config);
    std::future<pg::Connection> waiting;
    pg::Connection held;  // outlives the manager, so the waiter cannot get its connection
    {
        UnifiedConnectionManager manager(config);
        held = manager.connection(ConnectionMode::ReadWrite);
        waiting = asio::co_spawn(manager.executor(), manager.async_connection(ConnectionMode::ReadWrite),
                                 asio::use_future);
        ASSERT_TRUE(eventually([&] {
            return pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.waiting == 1;
        }));
    }  // the manager is gone; the coroutine still waits in the pool
    ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
    EXPECT_THROW(waiting.get(), PoolTimeout);
    held.release();
    AdminConnection admin(sandbox_env().pg_primary);
    EXPECT_TRUE(eventually([&] { return admin.backends_of(app) == 0; })) << "the pools were never closed";
}

// The internal executor is shared with the Sentinel watcher: coroutines on it use Redis through
// Sentinel while the watcher keeps following the sentinels on the same thread.
TEST(AsyncManager, CoroutinesOnTheInternalExecutorShareItWithTheSentinelWatcher) {
    auto config = async_config("async-executor-redis");
    config.redis = sentinel_redis(sandbox_env().redis_sentinels, sandbox_env().redis_master_name);
    UnifiedConnectionManager manager(config);
    const std::string key = unique_key("async-executor");
    auto work = [&]() -> asio::awaitable<std::string> {
        redis::Connection redis = co_await manager.async_redis(ConnectionMode::ReadWrite);
        (void)co_await redis.async_command("SET", key, "shared");
        redis::Reply reply = co_await redis.async_command("GET", key);
        (void)co_await redis.async_command("DEL", key);
        co_return reply.as_string();
    };
    auto got = asio::co_spawn(manager.executor(), work(), asio::use_future);
    ASSERT_EQ(got.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(got.get(), "shared");
    const auto health = manager.health_check();
    ASSERT_TRUE(health.redis.has_value());
    for (const auto& sentinel : health.redis->sentinels) EXPECT_TRUE(sentinel.reachable) << sentinel.endpoint;
}

}  // namespace
}  // namespace ucm::test
