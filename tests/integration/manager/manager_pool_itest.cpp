// Pool limits and recovery of the UnifiedConnectionManager, observed from the server.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>

#include <future>

namespace ucm::test {
namespace {

TEST(ManagerPool, NeverOpensMoreThanSizePlusOverflowAndClosesOverflowAfterRelease) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "limits");
    config.pool.size = 2;
    config.pool.max_overflow = 1;
    config.pool.acquire_timeout = 300ms;
    UnifiedConnectionManager manager(config);
    AdminConnection admin(sandbox_env().pg_primary);
    const auto app = application_name(config);
    {
        std::vector<pg::Connection> held;
        for (int i = 0; i < 3; ++i) held.push_back(manager.connection(ConnectionMode::ReadWrite));
        EXPECT_EQ(admin.backends_of(app), 3);
        try {
            (void)manager.connection(ConnectionMode::ReadWrite);
            FAIL() << "a fourth lease was granted";
        } catch (const PoolTimeout& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("in use"), std::string::npos) << what;
            EXPECT_TRUE(e.retriable());
        }
        EXPECT_EQ(admin.backends_of(app), 3);
    }
    EXPECT_TRUE(eventually([&] { return admin.backends_of(app) == 2; })) << "overflow not closed";
    EXPECT_EQ(pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.timeouts, 1u);
}

TEST(ManagerPool, QueueFullPastMaxWaiters) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::Admin, "queue");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    config.pool.max_waiters = 1;
    config.pool.acquire_timeout = 5s;
    UnifiedConnectionManager manager(config);
    auto held = manager.connection(ConnectionMode::ReadWrite);
    auto waiter = std::async(std::launch::async, [&] { return manager.connection(ConnectionMode::ReadWrite); });
    ASSERT_TRUE(eventually([&] {
        return pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.waiting == 1;
    }));
    EXPECT_THROW((void)manager.connection(ConnectionMode::ReadWrite), QueueFull);
    held.release();
    auto granted = waiter.get();
    EXPECT_TRUE(static_cast<bool>(granted));
}

TEST(ManagerPool, TerminatedIdleConnectionsAreReplacedWithoutTheCallerSeeingAnError) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::SyncHeavy, "terminate-idle");
    config.pool.size = 3;
    UnifiedConnectionManager manager(config);
    AdminConnection admin(sandbox_env().pg_primary);
    const auto app = application_name(config);
    {
        std::vector<pg::Connection> held;
        for (int i = 0; i < 3; ++i) held.push_back(manager.connection(ConnectionMode::ReadWrite));
    }
    ASSERT_EQ(admin.backends_of(app), 3);
    admin.exec("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1",
               pg::params(app));
    for (int i = 0; i < 3; ++i) {
        auto conn = manager.connection(ConnectionMode::ReadWrite);
        EXPECT_EQ(conn.execute("SELECT 1")[0].get<std::int32_t>(0), 1);
    }
    EXPECT_GE(pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.liveness_failures, 1u);
}

TEST(ManagerPool, TerminatedLeasedConnectionFailsTypedAndNeverReturnsToThePool) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::SyncHeavy, "terminate-leased");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    UnifiedConnectionManager manager(config);
    AdminConnection admin(sandbox_env().pg_primary);
    int victim_pid = 0;
    {
        auto conn = manager.connection(ConnectionMode::ReadOnly);
        victim_pid = conn.backend_pid();
        admin.exec("SELECT pg_terminate_backend($1, 5000)", pg::params(std::int32_t{victim_pid}));
        try {
            conn.execute("SELECT 1");
            FAIL() << "a terminated connection answered";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::connection_failed) << e.what();
            EXPECT_TRUE(e.poisons_connection());
        }
    }
    // Closed at release, not pooled: had it been pooled, the checkout's liveness check would have
    // caught it instead (liveness_failures 1, closed 1).
    const auto stats = pool_of(manager.connection_info(), ConnectionMode::ReadOnly).stats;
    EXPECT_EQ(stats.closed, 1u);
    EXPECT_EQ(stats.idle, 0u);
    auto next = manager.connection(ConnectionMode::ReadOnly);
    EXPECT_NE(next.backend_pid(), victim_pid);
    EXPECT_EQ(next.execute("SELECT 2")[0].get<std::int32_t>(0), 2);
    EXPECT_EQ(pool_of(manager.connection_info(), ConnectionMode::ReadOnly).stats.liveness_failures, 0u);
}

TEST(ManagerPool, BadSqlIsQueryFailedAndThePoolStaysHealthy) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "bad-sql");
    UnifiedConnectionManager manager(config);
    int pid = 0;
    {
        auto conn = manager.connection(ConnectionMode::ReadWrite);
        pid = conn.backend_pid();
        try {
            conn.execute("SELEC 1");
            FAIL() << "bad SQL ran";
        } catch (const QueryFailed& e) {
            EXPECT_EQ(e.sqlstate(), "42601");
        }
    }
    auto again = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(again.backend_pid(), pid) << "a connection was closed for a plain syntax error";
    EXPECT_EQ(pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.closed, 0u);
}

TEST(ManagerPool, WrongPasswordIsAuthFailedAndNeverShown) {
    AdminConnection admin(sandbox_env().pg_primary);
    admin.exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ucm_mgr_pw') THEN "
               "CREATE ROLE ucm_mgr_pw LOGIN PASSWORD 'right-one'; END IF; END $$");
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "auth");
    config.postgres.user = "ucm_mgr_pw";
    config.postgres.password = Secret("Wr0ng-P4ss-hunter2");
    UnifiedConnectionManager manager(config);
    try {
        (void)manager.connection(ConnectionMode::ReadWrite);
        FAIL() << "connected with a wrong password";
    } catch (const AuthFailed& e) {
        EXPECT_EQ(std::string(e.what()).find("Wr0ng-P4ss-hunter2"), std::string::npos) << e.what();
    }
    const auto report = manager.health_check().to_json();
    EXPECT_EQ(report.find("Wr0ng-P4ss-hunter2"), std::string::npos);
}

TEST(ManagerPool, LeaseHeldPastLeakThresholdIsReportedWithItsAcquireSite) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "leak");
    config.pool.leak_threshold = 100ms;
    UnifiedConnectionManager manager(config);
    auto held = manager.connection(ConnectionMode::ReadWrite);
    ASSERT_TRUE(eventually([&] {
        return pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.leaks_suspected == 1;
    }));
    const auto holders = pool_of(manager.connection_info(), ConnectionMode::ReadWrite).long_holders;
    ASSERT_EQ(holders.size(), 1u);
    EXPECT_NE(std::string(holders[0].acquired_at.file_name()).find("manager_pool_itest.cpp"), std::string::npos);
    const auto report = manager.health_check();
    EXPECT_EQ(report.status, HealthStatus::Degraded);
    EXPECT_NE(report.to_json().find("manager_pool_itest.cpp"), std::string::npos);
}

TEST(ManagerPool, PoolsAboveMaxConnectionsAreRefusedWhenConfigured) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "maxconn");
    config.pool.size = 5000;
    config.manager.refuse_over_max_connections = true;
    try {
        UnifiedConnectionManager manager(config);
        FAIL() << "a manager that could exceed max_connections was built";
    } catch (const ConfigInvalid& e) {
        EXPECT_NE(std::string(e.what()).find("max_connections"), std::string::npos) << e.what();
    }
}

TEST(ManagerPool, HealthCheckReportsThePrimaryAsHealthyJson) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "health"));
    const auto report = manager.health_check();
    EXPECT_EQ(report.status, HealthStatus::Healthy);
    ASSERT_EQ(report.endpoints.size(), 1u);
    EXPECT_EQ(report.endpoints[0].role, "primary");
    EXPECT_TRUE(report.endpoints[0].rtt.has_value());
    EXPECT_NE(report.to_json().find("\"status\": \"healthy\""), std::string::npos) << report.to_json();
}

}  // namespace
}  // namespace ucm::test
