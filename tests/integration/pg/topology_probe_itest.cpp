// The concurrent topology probe against the shared sandbox's primary and standby.
#include "core/pg_uri.hpp"
#include "pg/topology_probe.hpp"
#include "support/sandbox_env.hpp"

#include <gtest/gtest.h>

namespace ucm::pg {
namespace {

using namespace std::chrono_literals;

PgOptions cluster_options() {
    PgOptions primary;
    PgOptions standby;
    ucm::detail::apply_pg_connection_string(test::sandbox_env().pg_primary, primary, "primary");
    ucm::detail::apply_pg_connection_string(test::sandbox_env().pg_standby, standby, "standby");
    primary.hosts.push_back(standby.hosts.at(0));
    return primary;
}

TEST(TopologyProbe, LearnsRolesTimelinesAndLag) {
    auto options = cluster_options();
    auto results = probe_topology(options, options.hosts, "ucm/itest/probe", deadline_after(5s));
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].view.reachable) << results[0].error;
    EXPECT_EQ(results[0].view.role, HostRole::Primary);
    EXPECT_TRUE(results[0].view.writable);
    EXPECT_GE(results[0].view.timeline, 1);
    EXPECT_TRUE(results[0].view.rtt.has_value());
    EXPECT_TRUE(results[1].view.reachable) << results[1].error;
    EXPECT_EQ(results[1].view.role, HostRole::Standby);
    EXPECT_FALSE(results[1].view.writable);
    EXPECT_TRUE(results[1].view.lag_bytes.has_value());
}

TEST(TopologyProbe, AnUnreachableHostIsReportedWithoutDelayingTheOthers) {
    auto options = cluster_options();
    options.hosts.push_back({.host = "127.0.0.1", .port = 1});  // nothing listens on port 1
    auto results = probe_topology(options, options.hosts, "ucm/itest/probe", deadline_after(5s));
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[0].view.reachable);
    EXPECT_TRUE(results[1].view.reachable);
    EXPECT_FALSE(results[2].view.reachable);
    EXPECT_FALSE(results[2].error.empty());
}

}  // namespace
}  // namespace ucm::pg
