// Sessions, commits, access policy and read-only enforcement through the manager.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>

#include <sys/wait.h>
#include <unistd.h>

namespace ucm::test {
namespace {

class ManagerSession : public ::testing::Test {
protected:
    void SetUp() override {
        admin.exec("CREATE TABLE IF NOT EXISTS ucm_session_rows(id text PRIMARY KEY)");
    }
    std::int64_t rows_with(const std::string& id) {
        return admin.exec("SELECT count(*) FROM ucm_session_rows WHERE id = $1", pg::params(id))[0]
            .get<std::int64_t>(0);
    }
    AdminConnection admin{sandbox_env().pg_primary};
};

TEST_F(ManagerSession, ExceptionInsideASessionRollsBack) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "rollback"));
    const std::string id = unique_id("rolled-back");
    try {
        auto tx = manager.session(ConnectionMode::ReadWrite);
        tx.execute("INSERT INTO ucm_session_rows(id) VALUES ($1)", id);
        throw std::runtime_error("caller gave up");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(rows_with(id), 0);
}

TEST_F(ManagerSession, CommittedRowIsPresent) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "commit"));
    const std::string id = unique_id("committed");
    auto tx = manager.session(ConnectionMode::ReadWrite);
    tx.execute("INSERT INTO ucm_session_rows(id) VALUES ($1)", id);
    tx.commit();
    EXPECT_EQ(rows_with(id), 1);
}

TEST_F(ManagerSession, CommitAfterAFailedStatementReportsFailure) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "failed"));
    const std::string id = unique_id("never");
    auto tx = manager.session(ConnectionMode::ReadWrite);
    tx.execute("INSERT INTO ucm_session_rows(id) VALUES ($1)", id);
    EXPECT_THROW(tx.execute("SELECT 1/0"), QueryFailed);
    try {
        tx.commit();
        FAIL() << "a failed transaction reported a successful COMMIT";
    } catch (const QueryFailed& e) {
        EXPECT_EQ(e.sqlstate(), "40000") << e.what();
    }
    EXPECT_EQ(rows_with(id), 0);
}

TEST_F(ManagerSession, WriteOnAReadOnlyLeaseFailsWith25006) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "ro"));
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    try {
        conn.execute("INSERT INTO ucm_session_rows(id) VALUES ($1)", unique_id("ro"));
        FAIL() << "a read-only lease wrote";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::read_only_violation);
        EXPECT_EQ(e.sqlstate(), "25006");
    }
}

TEST_F(ManagerSession, AdminInMcpServerModeIsAccessDenied) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "acl"));
    EXPECT_THROW((void)manager.connection(ConnectionMode::Admin), AccessDenied);
    UnifiedConnectionManager admin_manager(manager_config(sandbox_env().pg_primary, ManagerMode::Admin, "acl"));
    EXPECT_TRUE(static_cast<bool>(admin_manager.connection(ConnectionMode::Admin)));
}

TEST_F(ManagerSession, RunTransactionRerunsASerializationFailure) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "retry"));
    const std::string id = unique_id("retried");
    int attempts = 0;
    manager.run_transaction([&](pg::Session& tx) {
        ++attempts;
        tx.execute("INSERT INTO ucm_session_rows(id) VALUES ($1)", id);
        if (attempts == 1) {
            tx.execute("DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure'; END $$");
        }
    });
    EXPECT_EQ(attempts, 2);
    EXPECT_EQ(rows_with(id), 1);
}

TEST_F(ManagerSession, RunTransactionDoesNotRerunOtherFailures) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "noretry"));
    int attempts = 0;
    EXPECT_THROW(manager.run_transaction([&](pg::Session& tx) {
        ++attempts;
        tx.execute("SELECT 1/0");
    }),
                 QueryFailed);
    EXPECT_EQ(attempts, 1);
}

TEST_F(ManagerSession, ShutdownFailsNewAcquiresAndALeaseOutlivingTheManagerIsSafe) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "shutdown");
    auto manager = std::make_unique<UnifiedConnectionManager>(config);
    auto survivor = manager->connection(ConnectionMode::ReadWrite);
    EXPECT_FALSE(manager->shutdown(100ms));  // the survivor is still out
    EXPECT_THROW((void)manager->connection(ConnectionMode::ReadWrite), ShutDown);
    manager.reset();
    EXPECT_EQ(survivor.execute("SELECT 3")[0].get<std::int32_t>(0), 3);
    survivor.release();  // returns to a pool that is gone: it just closes
    EXPECT_TRUE(eventually([&] { return admin.backends_of(application_name(config)) == 0; }));
}

TEST_F(ManagerSession, ATransactionLeftOpenOnALeaseIsRolledBackAtRelease) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "left-open");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    UnifiedConnectionManager manager(config);
    const std::string id = unique_id("left-open");
    int pid = 0;
    {
        auto conn = manager.connection(ConnectionMode::ReadWrite);
        pid = conn.backend_pid();
        conn.execute_simple("BEGIN", deadline_after(5s));
        conn.execute("INSERT INTO ucm_session_rows(id) VALUES ($1)", id);
    }
    auto again = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(again.backend_pid(), pid) << "a clean ROLLBACK should keep the connection";
    EXPECT_EQ(rows_with(id), 0);
}

TEST_F(ManagerSession, DiscardAllAtReleaseDropsSessionState) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "discard");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    config.pool.reset_with_discard_all = true;
    UnifiedConnectionManager manager(config);
    {
        auto conn = manager.connection(ConnectionMode::ReadWrite);
        conn.execute_simple("SET application_name = 'changed-by-caller'", deadline_after(5s));
        EXPECT_EQ(conn.execute("SELECT $1::int", std::int32_t{1})[0].get<std::int32_t>(0), 1);
    }
    auto again = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(again.execute("SHOW application_name")[0].get<std::string>(0), application_name(config));
    // The prepared statement was dropped by DISCARD ALL; ucm must prepare it afresh, not fail.
    EXPECT_EQ(again.execute("SELECT $1::int", std::int32_t{2})[0].get<std::int32_t>(0), 2);
}

TEST_F(ManagerSession, ACommitSentThroughExecuteAndAnsweredRollbackIsAFailure) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "raw-commit"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    conn.execute_simple("BEGIN", deadline_after(5s));
    EXPECT_THROW(conn.execute("SELECT 1/0"), QueryFailed);
    try {
        conn.execute_simple("COMMIT", deadline_after(5s));
        FAIL() << "COMMIT of a failed transaction reported success";
    } catch (const QueryFailed& e) {
        EXPECT_EQ(e.sqlstate(), "40000");
    }
}

TEST_F(ManagerSession, TheSameStatementWithOtherParameterTypesIsPreparedAgain) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "types"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(conn.execute("SELECT $1 / 2", std::int64_t{4})[0].get<std::int64_t>(0), 2);
    EXPECT_DOUBLE_EQ(conn.execute("SELECT $1 / 2", 5.0)[0].get<double>(0), 2.5);
    EXPECT_EQ(conn.execute("SELECT $1", std::string_view("text"))[0].get<std::string>(0), "text");
}

TEST_F(ManagerSession, ListenIsUndoneBeforeTheConnectionReturnsToThePool) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "listen");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    UnifiedConnectionManager manager(config);
    int pid = 0;
    {
        auto conn = manager.connection(ConnectionMode::ReadWrite);
        pid = conn.backend_pid();
        conn.execute_simple("LISTEN ucm_channel", deadline_after(5s));
    }
    auto again = manager.connection(ConnectionMode::ReadWrite);
    ASSERT_EQ(again.backend_pid(), pid);
    EXPECT_EQ(again.execute("SELECT count(*) FROM pg_listening_channels()")[0].get<std::int64_t>(0), 0);
}

TEST_F(ManagerSession, ARowOutlivesTheTemporaryResultItCameFrom) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "row"));
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    auto row = conn.execute("SELECT 41 + 1 AS answer, 'kept' AS word")[0];
    EXPECT_EQ(row.get<std::int32_t>("answer"), 42);
    EXPECT_EQ(row.get<std::string>("word"), "kept");
}

TEST_F(ManagerSession, AManagerUsedInAForkedChildRefusesWithShutDown) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "fork"));
    auto parent_lease = manager.connection(ConnectionMode::ReadWrite);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::alarm(10);  // a hang in the child must fail the test, not stall it
        int code = 1;
        try {
            (void)manager.connection(ConnectionMode::ReadWrite);
        } catch (const ShutDown&) {
            code = 0;
        } catch (...) {
            code = 2;
        }
        ::_exit(code);  // never run the parent's destructors in the child
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error in the child, 2: another error";
    EXPECT_EQ(parent_lease.execute("SELECT 4")[0].get<std::int32_t>(0), 4) << "the child disturbed the parent";
}

}  // namespace
}  // namespace ucm::test
