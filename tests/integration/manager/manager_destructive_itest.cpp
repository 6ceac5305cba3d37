// Stalled servers and synchronous replication: each test starts its own sandbox.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <future>

namespace ucm::test {
namespace {

sandbox::Sandbox start_pg_sandbox(bool sync_replication) {
    return sandbox::Sandbox::start(
        {.redis = false, .sync_replication = sync_replication, .supervisor_exe = cli_path()});
}

TEST(ManagerDestructive, StoppedServerGivesDeadlineExceededAndConnectFailuresThenServesAgain) {
    auto box = start_pg_sandbox(false);
    auto config = manager_config(box.pg_uri("pg0"), ManagerMode::McpServer, "sigstop");
    config.postgres.query_timeout = 500ms;
    config.postgres.connect_timeout = 500ms;
    config.pool.acquire_timeout = 1500ms;
    UnifiedConnectionManager manager(config);
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    box.pause("pg0");
    EXPECT_THROW(conn.execute("SELECT 1"), DeadlineExceeded);
    conn.release();
    {
        PgOptions options;
        ucm::detail::apply_pg_connection_string(box.pg_uri("pg0"), options, "test");
        EXPECT_THROW(pg::connect_blocking(pg::make_connect_spec(options, options.hosts.at(0), {}, deadline_after(500ms)),
                                          deadline_after(500ms)),
                     ConnectionFailed);
    }
    try {
        (void)manager.connection(ConnectionMode::ReadWrite);
        FAIL() << "a connection was granted by a stopped server";
    } catch (const NoPrimary& e) {
        // A write waits for a primary (a failover is a pause) and then names what it saw.
        EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos)
            << e.what();
    }
    box.resume("pg0");
    auto again = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(again.execute("SELECT 5")[0].get<std::int32_t>(0), 5);
}

TEST(ManagerDestructive, CommitPastItsDeadlineUnderSyncReplicationIsInDoubtAndTheRowIsThere) {
    auto box = start_pg_sandbox(true);
    AdminConnection admin(box.pg_uri("pg0"));
    admin.exec("CREATE TABLE doubt(id text PRIMARY KEY)");
    UnifiedConnectionManager manager(manager_config(box.pg_uri("pg0"), ManagerMode::McpServer, "doubt"));
    auto tx = manager.session(ConnectionMode::ReadWrite);
    tx.execute("INSERT INTO doubt(id) VALUES ('a')");
    box.pause("pg1");
    EXPECT_THROW(tx.commit(deadline_after(300ms)), InDoubt);
    // COMMIT is never cancelled: the backend must still be waiting for the standby, not told to stop.
    EXPECT_EQ(admin.exec("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")[0]
                  .get<std::int64_t>(0),
              1);
    box.resume("pg1");
    EXPECT_TRUE(eventually([&] {
        return admin.exec("SELECT count(*) FROM doubt WHERE id = 'a'")[0].get<std::int64_t>(0) == 1;
    })) << "the in-doubt commit did commit locally";
}

TEST(ManagerDestructive, CancelledSyncReplicationWaitWarningIsInDoubt) {
    auto box = start_pg_sandbox(true);
    AdminConnection admin(box.pg_uri("pg0"));
    admin.exec("CREATE TABLE warned(id text PRIMARY KEY)");
    auto config = manager_config(box.pg_uri("pg0"), ManagerMode::McpServer, "warned");
    UnifiedConnectionManager manager(config);
    auto tx = manager.session(ConnectionMode::ReadWrite);
    tx.execute("INSERT INTO warned(id) VALUES ('w')");
    box.pause("pg1");
    auto commit = std::async(std::launch::async, [&] { tx.commit(deadline_after(20s)); });
    const auto app = application_name(config);
    ASSERT_TRUE(eventually([&] {
        return admin.exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                          "AND wait_event = 'SyncRep'",
                          pg::params(app))[0]
                   .get<std::int64_t>(0) == 1;
    }));
    admin.exec("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1 "
               "AND wait_event = 'SyncRep'",
               pg::params(app));
    EXPECT_THROW(commit.get(), InDoubt);
    box.resume("pg1");
    EXPECT_EQ(admin.exec("SELECT count(*) FROM warned")[0].get<std::int64_t>(0), 1);
}

TEST(ManagerDestructive, ReadOnlyLeasesBehindPgBouncerRejectWrites) {
    auto box = sandbox::Sandbox::start({.redis = false, .pgbouncer = true, .supervisor_exe = cli_path()});
    AdminConnection admin(box.pg_uri("pg0"));
    admin.exec("CREATE TABLE bouncer_rows(id int)");
    Config config;
    config.manager.mode = ManagerMode::McpServer;
    config.manager.id = unique_id("bouncer");
    config.postgres.hosts = {{.host = "localhost", .port = static_cast<std::uint16_t>(box.port("pgbouncer"))}};
    config.postgres.user = "postgres";
    config.postgres.dbname = "postgres";
    config.postgres.unnamed_statements_only = true;
    UnifiedConnectionManager manager(config);
    manager.connection(ConnectionMode::ReadWrite).execute("INSERT INTO bouncer_rows VALUES ($1)", std::int32_t{1});
    auto reader = manager.connection(ConnectionMode::ReadOnly);
    EXPECT_EQ(reader.execute("SELECT count(*) FROM bouncer_rows")[0].get<std::int64_t>(0), 1);
    try {
        reader.execute("INSERT INTO bouncer_rows VALUES ($1)", std::int32_t{2});
        FAIL() << "a read-only lease wrote through PgBouncer";
    } catch (const Error& e) {
        EXPECT_EQ(e.sqlstate(), "25006") << e.what();
    }
    EXPECT_EQ(reader.execute("SELECT count(*) FROM bouncer_rows")[0].get<std::int64_t>(0), 1)
        << "the lease must be usable (outside any transaction) after the refused write";
}

TEST(ManagerDestructive, AutocommitWriteWhoseSyncReplicationWaitIsCancelledIsInDoubt) {
    auto box = start_pg_sandbox(true);
    AdminConnection admin(box.pg_uri("pg0"));
    admin.exec("CREATE TABLE auto_doubt(id text PRIMARY KEY)");
    auto config = manager_config(box.pg_uri("pg0"), ManagerMode::McpServer, "auto-doubt");
    UnifiedConnectionManager manager(config);
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    box.pause("pg1");
    auto write = std::async(std::launch::async, [&] {
        conn.execute_params("INSERT INTO auto_doubt(id) VALUES ('x')", {}, deadline_after(20s));
    });
    const auto app = application_name(config);
    auto waiting = [&] {
        return admin.exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event = "
                          "'SyncRep'",
                          pg::params(app))[0]
                   .get<std::int64_t>(0) == 1;
    };
    ASSERT_TRUE(eventually(waiting));
    admin.exec("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1", pg::params(app));
    EXPECT_THROW(write.get(), InDoubt);
    box.resume("pg1");
    EXPECT_EQ(admin.exec("SELECT count(*) FROM auto_doubt")[0].get<std::int64_t>(0), 1);
}

}  // namespace
}  // namespace ucm::test
