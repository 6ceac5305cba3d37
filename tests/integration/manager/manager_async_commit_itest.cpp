// COMMIT through the coroutine API under synchronous replication with the standby stopped: a
// commit past its deadline is InDoubt and is not cancelled on the server, and a coroutine
// cancelled during COMMIT does not cancel it. Each test starts its own sandbox.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

namespace ucm::test {
namespace {

using namespace asio::experimental::awaitable_operators;

sandbox::Sandbox start_sync_sandbox() {
    return sandbox::Sandbox::start({.redis = false, .sync_replication = true, .supervisor_exe = cli_path()});
}

std::int64_t waiting_for_sync_rep(AdminConnection& admin, const std::string& app) {
    return admin
        .exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'SyncRep'",
              pg::params(app))[0]
        .get<std::int64_t>(0);
}

TEST(AsyncCommitDestructive, CommitPastItsDeadlineIsInDoubtAndStillWaitsOnTheServer) {
    auto box = start_sync_sandbox();
    AdminConnection admin(box.pg_uri("pg0"));
    admin.exec("CREATE TABLE async_doubt(id text PRIMARY KEY)");
    auto config = manager_config(box.pg_uri("pg0"), ManagerMode::AsyncModern, "async-doubt");
    UnifiedConnectionManager manager(config);
    asio::io_context io;
    auto work = [&]() -> asio::awaitable<void> {
        pg::Session tx = co_await manager.async_session(ConnectionMode::ReadWrite);
        co_await tx.async_execute("INSERT INTO async_doubt(id) VALUES ('a')");
        box.pause("pg1");
        co_await tx.async_commit(deadline_after(300ms));
    };
    auto done = asio::co_spawn(io, work(), asio::use_future);
    io.run();
    EXPECT_THROW(done.get(), InDoubt);
    // COMMIT is never cancelled: the backend still waits for the standby.
    EXPECT_EQ(waiting_for_sync_rep(admin, application_name(config)), 1);
    box.resume("pg1");
    EXPECT_TRUE(eventually([&] {
        return admin.exec("SELECT count(*) FROM async_doubt")[0].get<std::int64_t>(0) == 1;
    })) << "the in-doubt commit did commit locally";
}

TEST(AsyncCommitDestructive, CancellingTheCoroutineDuringCommitDoesNotCancelTheCommit) {
    auto box = start_sync_sandbox();
    AdminConnection admin(box.pg_uri("pg0"));
    admin.exec("CREATE TABLE async_kept(id text PRIMARY KEY)");
    auto config = manager_config(box.pg_uri("pg0"), ManagerMode::AsyncModern, "async-kept");
    UnifiedConnectionManager manager(config);
    const std::string app = application_name(config);
    asio::io_context io;
    bool timer_won = false;
    bool resumed = false;
    bool resumed_before_the_race_ended = false;
    auto work = [&]() -> asio::awaitable<void> {
        pg::Session tx = co_await manager.async_session(ConnectionMode::ReadWrite);
        co_await tx.async_execute("INSERT INTO async_kept(id) VALUES ('k')");
        box.pause("pg1");
        asio::steady_timer impatience(co_await asio::this_coro::executor, 200ms);
        // The timer wins after 200 ms and cancels the commit branch; the commit must go on.
        auto race = tx.async_commit(deadline_after(30s)) || impatience.async_wait(asio::use_awaitable);
        auto winner = co_await std::move(race);
        timer_won = winner.index() == 1;
        // The race waits for its cancelled branch: a COMMIT that ignored the cancellation ends only
        // when the standby is back; one that obeyed it would have ended at 200 ms.
        resumed_before_the_race_ended = resumed;
    };
    auto resume_later = [&]() -> asio::awaitable<void> {
        asio::steady_timer later(co_await asio::this_coro::executor, 600ms);
        co_await later.async_wait(asio::use_awaitable);
        // By now the caller was cancelled; the backend must still be waiting, not cancelled.
        EXPECT_EQ(waiting_for_sync_rep(admin, app), 1);
        box.resume("pg1");
        resumed = true;
    };
    auto done = asio::co_spawn(io, work(), asio::use_future);
    asio::co_spawn(io, resume_later(), asio::use_future);
    io.run();
    done.get();
    EXPECT_TRUE(timer_won);
    EXPECT_TRUE(resumed_before_the_race_ended);
    EXPECT_EQ(admin.exec("SELECT count(*) FROM async_kept")[0].get<std::int64_t>(0), 1)
        << "the commit was abandoned when its caller was cancelled";
}

}  // namespace
}  // namespace ucm::test
