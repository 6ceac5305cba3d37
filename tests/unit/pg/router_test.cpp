#include "pg/router.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ucm::pg {
namespace {

using namespace std::chrono_literals;
using Kind = RouteDecision::Kind;

HostView primary(std::int64_t timeline = 1) {
    return {.role = HostRole::Primary, .reachable = true, .writable = true, .timeline = timeline};
}
HostView standby(std::uint64_t lag_bytes = 0, std::chrono::microseconds rtt = 100us) {
    return {.role = HostRole::Standby, .reachable = true, .rtt = rtt, .lag_bytes = lag_bytes, .lag_time = 0ms};
}

RouteDecision pick(ConnectionMode mode, const std::vector<HostView>& hosts, RoutePolicy policy = {}) {
    std::size_t cursor = 0;
    return route(mode, hosts, policy, cursor);
}

TEST(Router, WritesGoToThePrimary) {
    auto d = pick(ConnectionMode::ReadWrite, {standby(), primary()});
    EXPECT_EQ(d.kind, Kind::Host);
    EXPECT_EQ(d.host, 1u);
}

TEST(Router, AdminGoesToThePrimary) {
    EXPECT_EQ(pick(ConnectionMode::Admin, {primary(), standby()}).host, 0u);
}

TEST(Router, ReadsGoToAStandby) {
    auto d = pick(ConnectionMode::ReadOnly, {primary(), standby()});
    EXPECT_EQ(d.kind, Kind::Host);
    EXPECT_EQ(d.host, 1u);
}

TEST(Router, ReadsRoundRobinOverStandbys) {
    std::vector<HostView> hosts{primary(), standby(), standby()};
    std::size_t cursor = 0;
    EXPECT_EQ(route(ConnectionMode::ReadOnly, hosts, {}, cursor).host, 1u);
    EXPECT_EQ(route(ConnectionMode::ReadOnly, hosts, {}, cursor).host, 2u);
    EXPECT_EQ(route(ConnectionMode::ReadOnly, hosts, {}, cursor).host, 1u);
}

TEST(Router, NearestPolicyPicksTheLowestRtt) {
    auto d = pick(ConnectionMode::ReadOnly, {primary(), standby(0, 900us), standby(0, 200us)},
                  {.read_policy = ReadPolicy::Nearest});
    EXPECT_EQ(d.host, 2u);
}

TEST(Router, LaggingStandbyIsExcludedAndReadsFallBackToThePrimary) {
    auto d = pick(ConnectionMode::ReadOnly, {primary(), standby(64ULL * 1024 * 1024)});
    EXPECT_EQ(d.kind, Kind::Host);
    EXPECT_EQ(d.host, 0u);
}

TEST(Router, ForbiddenFallbackWithoutAStandbyIsNoCandidate) {
    auto d = pick(ConnectionMode::ReadOnly, {primary(), standby(64ULL * 1024 * 1024)},
                  {.fallback = ReadOnlyFallback::Forbid});
    EXPECT_EQ(d.kind, Kind::NoCandidate);
}

TEST(Router, ForbiddenFallbackWithTheStandbyBreakerOpenIsCircuitOpen) {
    auto s = standby();
    s.breaker_permits = false;
    auto d = pick(ConnectionMode::ReadOnly, {primary(), s}, {.fallback = ReadOnlyFallback::Forbid});
    EXPECT_EQ(d.kind, Kind::CircuitOpen);
}

TEST(Router, UnreachableStandbyIsSkippedWhileTheFallbackServes) {
    auto gone = standby();
    gone.reachable = false;
    auto d = pick(ConnectionMode::ReadOnly, {gone, primary()});
    EXPECT_EQ(d.kind, Kind::Host);
    EXPECT_EQ(d.host, 1u);
}

TEST(Router, ForbiddenFallbackTriesAnUnreachableStandbyWhoseBreakerPermits) {
    // Its connect failures are what open its breaker; refusing at once would never let it open.
    auto gone = standby();
    gone.reachable = false;
    auto d = pick(ConnectionMode::ReadOnly, {primary(), gone}, {.fallback = ReadOnlyFallback::Forbid});
    EXPECT_EQ(d.kind, Kind::Host);
    EXPECT_EQ(d.host, 1u);
    gone.breaker_permits = false;
    EXPECT_EQ(pick(ConnectionMode::ReadOnly, {primary(), gone}, {.fallback = ReadOnlyFallback::Forbid}).kind,
              Kind::CircuitOpen);
}

TEST(Router, NoPrimaryMeansWaitNotError) {
    auto d = pick(ConnectionMode::ReadWrite, {standby(), standby()});
    EXPECT_EQ(d.kind, Kind::WaitForPrimary);
}

TEST(Router, AReadOnlyPrimaryIsNotWritable) {
    auto fenced = primary();
    fenced.writable = false;
    EXPECT_EQ(pick(ConnectionMode::ReadWrite, {fenced, standby()}).kind, Kind::WaitForPrimary);
}

TEST(Router, PrimaryWithOpenBreakerIsCircuitOpen) {
    auto p = primary();
    p.breaker_permits = false;
    EXPECT_EQ(pick(ConnectionMode::ReadWrite, {p, standby()}).kind, Kind::CircuitOpen);
}

TEST(Router, SplitBrainWritesGoToTheHigherTimeline) {
    auto d = pick(ConnectionMode::ReadWrite, {primary(1), primary(2)});
    EXPECT_EQ(d.kind, Kind::Host);
    EXPECT_EQ(d.host, 1u);
    EXPECT_TRUE(d.split_brain);
}

TEST(Router, UnreachableHostsAreNeverChosen) {
    auto s = standby();
    s.reachable = false;
    auto p = primary();
    EXPECT_EQ(pick(ConnectionMode::ReadOnly, {p, s}).host, 0u);
}

}  // namespace
}  // namespace ucm::pg
