// Routing over the shared sandbox's primary and standby, listed standby first: nothing here
// changes a server, so these share the sandbox with the other integration tests.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>

namespace ucm::test {
namespace {

Config shared_ha_config(std::string_view prefix) {
    return ha_config(sandbox_env().pg_primary, sandbox_env().pg_standby, ManagerMode::McpServer, prefix);
}

TEST(ManagerRouting, ReadsLandOnTheStandbyAndWritesOnThePrimary) {
    UnifiedConnectionManager manager(shared_ha_config("route"));
    const std::string primary = endpoint_of_uri(sandbox_env().pg_primary);
    const std::string standby = endpoint_of_uri(sandbox_env().pg_standby);
    for (int i = 0; i < 3; ++i) {
        auto read = manager.connection(ConnectionMode::ReadOnly);
        EXPECT_EQ(read.endpoint(), standby);
        EXPECT_TRUE(read.execute("SELECT pg_is_in_recovery()")[0].get<bool>(0));
        auto write = manager.connection(ConnectionMode::ReadWrite);
        EXPECT_EQ(write.endpoint(), primary);
        EXPECT_FALSE(write.execute("SELECT pg_is_in_recovery()")[0].get<bool>(0));
        // The server agrees about the port, not just the lease.
        EXPECT_EQ(std::to_string(write.execute("SELECT inet_server_port()")[0].get<std::int32_t>(0)),
                  primary.substr(primary.rfind(':') + 1));
        EXPECT_EQ(std::to_string(read.execute("SELECT inet_server_port()")[0].get<std::int32_t>(0)),
                  standby.substr(standby.rfind(':') + 1));
    }
}

TEST(ManagerRouting, HealthReportNamesEveryEndpointWithRoleTimelineAndBreaker) {
    UnifiedConnectionManager manager(shared_ha_config("route-health"));
    const auto report = manager.health_check();
    EXPECT_EQ(report.status, HealthStatus::Healthy) << report.to_json();
    ASSERT_EQ(report.endpoints.size(), 2U);
    const auto& p = endpoint_of(report.endpoints, endpoint_of_uri(sandbox_env().pg_primary));
    const auto& s = endpoint_of(report.endpoints, endpoint_of_uri(sandbox_env().pg_standby));
    EXPECT_EQ(p.role, "primary");
    EXPECT_TRUE(p.write_target);
    EXPECT_TRUE(p.writable);
    EXPECT_GE(p.timeline, 1);
    EXPECT_EQ(s.role, "standby");
    EXPECT_FALSE(s.write_target);
    EXPECT_EQ(s.timeline, p.timeline);
    ASSERT_TRUE(s.lag.has_value());
    EXPECT_EQ(p.breaker, "closed");
    EXPECT_TRUE(p.rtt.has_value());
    const auto json = report.to_json();
    EXPECT_NE(json.find("\"timeline\""), std::string::npos);
    EXPECT_NE(json.find("\"breaker\": \"closed\""), std::string::npos) << json;
}

TEST(ManagerRouting, ReadOnlyLeaseOnTheStandbyRefusesWritesWith25006) {
    UnifiedConnectionManager manager(shared_ha_config("route-ro"));
    auto read = manager.connection(ConnectionMode::ReadOnly);
    try {
        read.execute("CREATE TEMP TABLE nope(x int)");
        FAIL() << "a read-only lease accepted a write";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::read_only_violation) << e.what();
    }
    // A 25006 on a read-only lease is the guard working, not a role change: writes still flow.
    auto write = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(write.execute("SELECT 1")[0].get<std::int32_t>(0), 1);
}

}  // namespace
}  // namespace ucm::test
