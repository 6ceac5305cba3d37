// The Asio driver of the libpq state machine (src/pg/pg_wait_asio) against the shared sandbox's
// primary: the blocking driver's behaviours through coroutines, and the executor never blocked.
#include "core/pg_uri.hpp"
#include "pg/conninfo.hpp"
#include "pg/pg_wait_asio.hpp"
#include "support/manager_support.hpp"
#include "support/run_coroutine.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/core/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ucm::pg {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

PgOptions primary_options() {
    PgOptions options;
    ucm::detail::apply_pg_connection_string(test::sandbox_env().pg_primary, options, "UCM_TEST_PG_PRIMARY");
    return options;
}

ConnectSpec primary_spec(std::string application_name = "ucm/itest-async") {
    const PgOptions options = primary_options();
    return make_connect_spec(options, options.hosts.at(0), {.application_name = std::move(application_name)},
                             deadline_after(5s));
}

using test::run;

// Whether the server stops running `app`'s pg_sleep(30) within a few seconds.
bool still_sleeping_goes_to_zero(const std::string& app) {
    test::AdminConnection admin(test::sandbox_env().pg_primary);
    return test::eventually([&] {
        return admin
                   .exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' "
                         "AND query LIKE '%pg_sleep(30)%'",
                         params(app))[0]
                   .get<std::int64_t>(0) == 0;
    }, 5s);
}

asio::awaitable<std::int64_t> connect_and_add(std::int64_t x) {
    PgConnection conn = co_await async_connect(primary_spec(), deadline_after(5s));
    const auto ps = params(x);
    Result r = co_await async_exec(conn, "SELECT $1::bigint + 1", ps, deadline_after(5s));
    co_return r[0].get<std::int64_t>(0);
}

TEST(PgAsync, ConnectsAndRunsATypedQuery) { EXPECT_EQ(run(connect_and_add(41)), 42); }

TEST(PgAsync, ASlowQueryNeverBlocksTheExecutor) {
    asio::io_context io;
    std::atomic<int> ticks{0};
    std::atomic<bool> done{false};
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (!done) {
            timer.expires_after(1ms);
            co_await timer.async_wait(asio::use_awaitable);
            ++ticks;
        }
    }, asio::detached);
    auto slow = asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        PgConnection conn = co_await async_connect(primary_spec(), deadline_after(5s));
        const int before = ticks;
        (void)co_await async_exec_simple(conn, "SELECT pg_sleep(0.3)", deadline_after(5s));
        // A blocked thread would have run no tick at all while the server slept.
        EXPECT_GE(ticks - before, 10);
        done = true;
    }, asio::use_future);
    io.run();
    slow.get();
}

TEST(PgAsync, DeadlineCancelsTheQueryOnTheServerAndClosesTheConnection) {
    const std::string app = test::unique_id("async-deadline");
    run([&]() -> asio::awaitable<void> {
        PgConnection conn = co_await async_connect(primary_spec(app), deadline_after(5s));
        const auto started = SteadyClock::now();
        try {
            (void)co_await async_exec_simple(conn, "SELECT pg_sleep(30)", deadline_after(200ms));
            ADD_FAILURE() << "pg_sleep(30) finished within 200 ms";
        } catch (const DeadlineExceeded& e) {
            EXPECT_TRUE(e.poisons_connection());
        }
        EXPECT_LT(SteadyClock::now() - started, 5s);
        EXPECT_TRUE(conn.is_bad());
    }());
    EXPECT_TRUE(still_sleeping_goes_to_zero(app)) << "the server still runs the query the deadline gave up on";
}

TEST(PgAsync, CancellingTheCoroutineCancelsTheQueryAndClosesTheConnection) {
    const std::string app = test::unique_id("async-cancel");
    run([&]() -> asio::awaitable<void> {
        PgConnection conn = co_await async_connect(primary_spec(app), deadline_after(5s));
        asio::steady_timer give_up(co_await asio::this_coro::executor, 200ms);
        auto race = async_exec_simple(conn, "SELECT pg_sleep(30)", deadline_after(30s)) ||
                    give_up.async_wait(asio::use_awaitable);
        const auto winner = co_await std::move(race);
        EXPECT_EQ(winner.index(), 1U);
        EXPECT_TRUE(conn.is_bad()) << "a connection whose command was abandoned must not be reused";
    }());
    EXPECT_TRUE(still_sleeping_goes_to_zero(app)) << "the server still runs the query whose coroutine was cancelled";
}

TEST(PgAsync, ConnectFollowsLibpqToTheNextHostOnANewSocket) {
    // First a port nothing listens on, then the server: libpq opens a second socket mid-connect.
    std::uint16_t closed = 0;
    {
        asio::io_context io;
        asio::ip::tcp::acceptor gone(io, {asio::ip::make_address("127.0.0.1"), 0});
        closed = gone.local_endpoint().port();
    }
    ConnectSpec spec = primary_spec();
    const PgOptions options = primary_options();
    for (auto& [key, value] : spec.keywords) {
        if (key == "host" || key == "hostaddr") value = "127.0.0.1,127.0.0.1";
        if (key == "port") value = std::to_string(closed) + "," + std::to_string(options.hosts.at(0).port);
    }
    const auto n = run([&]() -> asio::awaitable<std::int64_t> {
        PgConnection conn = co_await async_connect(spec, deadline_after(5s));
        Result r = co_await async_exec_simple(conn, "SELECT 7", deadline_after(5s));
        co_return r[0].get<std::int32_t>(0);
    }());
    EXPECT_EQ(n, 7);
}

TEST(PgAsync, ConnectToAServerThatNeverAnswersTimesOut) {
    asio::io_context listener_io;
    asio::ip::tcp::acceptor silent(listener_io, {asio::ip::make_address("127.0.0.1"), 0});  // never accepts
    ConnectSpec spec{.keywords = {{"hostaddr", "127.0.0.1"},
                                  {"port", std::to_string(silent.local_endpoint().port())},
                                  {"user", "postgres"},
                                  {"connect_timeout", "0"}},
                     .endpoint = "silent"};
    run([&]() -> asio::awaitable<void> {
        try {
            (void)co_await async_connect(spec, deadline_after(300ms));
            ADD_FAILURE() << "connected to a server that never answered";
        } catch (const ConnectionFailed& e) {
            EXPECT_TRUE(e.retriable());
            EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
        }
    }());
}

// For TSan (label concurrency): two threads run one io_context; sixteen coroutines, each with its
// own connection, interleave their queries on it.
TEST(PgAsyncConcurrency, ManyCoroutinesOnAnIoContextRunByTwoThreads) {
    asio::io_context io;
    std::atomic<int> ok{0};
    std::vector<std::future<void>> done;
    for (int c = 0; c < 16; ++c) {
        done.push_back(asio::co_spawn(io, [&ok, c]() -> asio::awaitable<void> {
            PgConnection conn = co_await async_connect(primary_spec(), deadline_after(10s));
            for (std::int64_t i = 0; i < 20; ++i) {
                const auto ps = params(c * 100 + i);
                Result r = co_await async_exec(conn, "SELECT $1::bigint", ps, deadline_after(10s));
                if (r[0].get<std::int64_t>(0) == c * 100 + i) ++ok;
            }
        }, asio::use_future));
    }
    std::thread second([&] { io.run(); });
    io.run();
    second.join();
    for (auto& d : done) d.get();
    EXPECT_EQ(ok.load(), 16 * 20);
}

}  // namespace
}  // namespace ucm::pg
