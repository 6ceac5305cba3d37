// The topology's role logic without servers: Topology::ingest() applies a round's results exactly
// as the prober does, and the HostEvents calls are what the data path reports.
#include "pg/topology.hpp"

#include <ucm/core/error.hpp>

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace ucm::pg {
namespace {

using namespace std::chrono_literals;
using Kind = RouteDecision::Kind;

ProbeResult primary(std::int64_t timeline = 1, bool writable = true) {
    return {.view = {.role = HostRole::Primary, .reachable = true, .writable = writable, .timeline = timeline}};
}
ProbeResult standby(std::int64_t timeline = 1) {
    return {.view = {.role = HostRole::Standby, .reachable = true, .timeline = timeline, .lag_bytes = 0,
                     .lag_time = 0ms}};
}
ProbeResult unreachable(std::optional<Errc> code = Errc::connection_failed) {
    return {.error = "connection refused", .error_code = code};
}

class TopologyTest : public ::testing::Test {
protected:
    std::shared_ptr<Topology> make(BreakerOptions breaker = {}) {
        TopologySetup setup;
        setup.options.hosts = {{"127.0.0.1", 5001}, {"127.0.0.1", 5002}};
        setup.breaker = breaker;
        setup.on_role_change = [this](std::size_t host, std::uint64_t generation) {
            changes.emplace_back(host, generation);
        };
        return Topology::create(setup);
    }
    static RouteDecision route_now(const Topology& t, ConnectionMode mode) {
        std::size_t cursor = 0;
        return route(mode, t.snapshot().views, RoutePolicy{}, cursor);
    }
    std::vector<std::pair<std::size_t, std::uint64_t>> changes;
};

TEST_F(TopologyTest, FirstSightSetsExpectedRolesWithoutBumpingGenerations) {
    auto t = make();
    t->ingest({standby(), primary()});
    EXPECT_TRUE(changes.empty());
    EXPECT_EQ(t->hosts()[0]->expected_role.load(), HostRole::Standby);
    EXPECT_EQ(t->hosts()[1]->expected_role.load(), HostRole::Primary);
    EXPECT_EQ(t->hosts()[1]->generation.load(), 0u);
    const auto s = t->status();
    EXPECT_TRUE(s[1].chosen_primary);
    EXPECT_FALSE(s[0].chosen_primary);
    EXPECT_TRUE(t->snapshot().settled);
}

TEST_F(TopologyTest, PromotionBumpsTheNewPrimaryAndADeadHostKeepsItsLastRole) {
    auto t = make();
    t->ingest({standby(), primary()});
    t->ingest({primary(2), unreachable()});
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0], std::make_pair(std::size_t{0}, std::uint64_t{1}));
    EXPECT_EQ(t->hosts()[0]->generation.load(), 1u);
    EXPECT_EQ(t->hosts()[1]->generation.load(), 0u) << "nothing seen of the dead host: no change";
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).host, 0u);
    // The old primary comes back as a standby of the new one: that is its role change.
    t->ingest({primary(2), standby(2)});
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[1], std::make_pair(std::size_t{1}, std::uint64_t{1}));
}

TEST_F(TopologyTest, SplitBrainWritesGoToTheHigherTimelineAndTheOtherIsInvalidated) {
    auto t = make();
    t->ingest({standby(), primary(1)});
    t->ingest({primary(2), primary(1)});
    EXPECT_TRUE(t->split_brain());
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).host, 0u);
    // Both changed: host 0 became the primary, host 1 stopped being the write target.
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_FALSE(t->status()[1].chosen_primary);
    EXPECT_TRUE(t->status()[0].chosen_primary);
}

TEST_F(TopologyTest, AFencedPrimaryIsARoleChangeAndWritesWait) {
    auto t = make();
    t->ingest({standby(), primary()});
    t->ingest({standby(), primary(1, /*writable=*/false)});
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].first, 1u);
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).kind, Kind::WaitForPrimary);
    EXPECT_FALSE(t->snapshot().settled) << "no primary: rediscovery keeps running on its backoff";
}

TEST_F(TopologyTest, ReadOnlyViolationOnAReadWriteLeaseStopsWritesAtOnce) {
    auto t = make();
    t->ingest({standby(), primary()});
    const auto before = t->snapshot().version;
    const Error refused({.code = Errc::read_only_violation, .message = "read-only", .sqlstate = "25006"});
    t->on_lease_error(1, refused, ConnectionMode::ReadOnly);
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).host, 1u) << "a read-only lease refusing a write is the guard";
    t->on_lease_error(1, refused, ConnectionMode::ReadWrite);
    EXPECT_NE(t->snapshot().version, before);
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).kind, Kind::WaitForPrimary);
    EXPECT_FALSE(t->snapshot().settled) << "a rediscovery was requested";
}

TEST_F(TopologyTest, ABrokenSocketOnThePrimaryMakesWritesWaitForRediscovery) {
    auto t = make();
    t->ingest({standby(), primary()});
    t->on_lease_error(1, ConnectionFailed({.message = "server closed the connection"}), ConnectionMode::ReadWrite);
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).kind, Kind::WaitForPrimary);
    t->ingest({standby(), primary()});
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).host, 1u);
    EXPECT_TRUE(changes.empty()) << "the same primary again is no role change";
}

TEST_F(TopologyTest, FailedConnectsOpenTheBreakerAndItsHostAdmitsNoRequest) {
    auto t = make({.window_size = 2, .minimum_calls = 2, .failure_rate_threshold = 0.6, .open_wait = 10s,
                   .max_open_wait = 10s});
    t->ingest({standby(), primary()});  // one success in the window
    t->on_connect(0, false, 1ms);
    EXPECT_TRUE(t->snapshot().views[0].breaker_permits);
    t->on_connect(0, false, 1ms);
    EXPECT_FALSE(t->snapshot().views[0].breaker_permits);
    EXPECT_EQ(t->status()[0].breaker, BreakerState::Open);
    EXPECT_EQ(t->status()[0].connect_attempts, 2u);
    // An open breaker also keeps the prober away until its wait is over: the round leaves it alone.
    t->ingest({standby(), primary()});
    EXPECT_EQ(t->status()[0].breaker, BreakerState::Open);
}

TEST_F(TopologyTest, ARoleChangeResetsTheBreaker) {
    auto t = make({.window_size = 4, .minimum_calls = 4, .open_wait = 10s, .max_open_wait = 10s});
    t->ingest({standby(), primary()});
    t->on_connect(0, false, 1ms);
    t->ingest({primary(2), unreachable()});  // promoted: its window starts empty again
    ASSERT_EQ(t->status()[0].view.role, HostRole::Primary);
    for (int i = 0; i < 3; ++i) t->on_connect(0, false, 1ms);
    // Without the reset the window would be [ok, failed, failed, failed]: 75 %, open.
    EXPECT_EQ(t->status()[0].breaker, BreakerState::Closed);
    t->on_connect(0, false, 1ms);
    EXPECT_EQ(t->status()[0].breaker, BreakerState::Open) << "the fourth failure fills the window";
}

TEST_F(TopologyTest, WrongCredentialsEverywhereAreReportedInsteadOfAWait) {
    auto t = make();
    t->ingest({unreachable(Errc::auth_failed), unreachable(Errc::auth_failed)});
    ASSERT_TRUE(t->snapshot().auth_failure.has_value());
    t->ingest({standby(), unreachable(Errc::auth_failed)});
    EXPECT_FALSE(t->snapshot().auth_failure.has_value()) << "one host answers: not a credentials problem";
}

TEST_F(TopologyTest, RoleMismatchAtConnectMarksTheHostAndRequestsARound) {
    auto t = make();
    t->ingest({standby(), primary()});
    t->on_role_mismatch(1, HostRole::Standby);
    EXPECT_FALSE(t->snapshot().views[1].reachable);
    EXPECT_FALSE(t->snapshot().settled);
    EXPECT_EQ(route_now(*t, ConnectionMode::ReadWrite).kind, Kind::WaitForPrimary);
}

TEST_F(TopologyTest, FastRoutesAgreeWithTheRouter) {
    auto t = make();
    EXPECT_FALSE(t->fast_route(ConnectionMode::ReadWrite, 0)) << "nothing known yet: the slow path waits";
    t->ingest({standby(), primary()});
    EXPECT_EQ(t->fast_route(ConnectionMode::ReadWrite, 0), 1u);
    EXPECT_EQ(t->fast_route(ConnectionMode::Admin, 7), 1u);
    EXPECT_EQ(t->fast_route(ConnectionMode::ReadOnly, 0), 0u);
    EXPECT_EQ(t->fast_route(ConnectionMode::ReadOnly, 1), 0u) << "one standby: every turn is its";
    t->on_connect(0, false, 1ms);  // the standby looks gone until the next round
    EXPECT_FALSE(t->fast_route(ConnectionMode::ReadOnly, 0)) << "fallback is the router's call";
    t->ingest({standby(), primary()});
    t->on_lease_error(1, ConnectionFailed({.message = "gone"}), ConnectionMode::ReadWrite);
    EXPECT_FALSE(t->fast_route(ConnectionMode::ReadWrite, 0));
}

TEST(TopologyFastRoute, RoundRobinVisitsEveryQualifyingStandbyAndNearestPicksTheLowestRtt) {
    for (const ReadPolicy policy : {ReadPolicy::RoundRobin, ReadPolicy::Nearest}) {
        TopologySetup setup;
        setup.options.hosts = {{"127.0.0.1", 5001}, {"127.0.0.1", 5002}, {"127.0.0.1", 5003}, {"127.0.0.1", 5004}};
        setup.policy.read_policy = policy;
        auto t = Topology::create(setup);
        auto near = standby();
        near.view.rtt = 50us;
        auto far = standby();
        far.view.rtt = 900us;
        auto lagging = standby();
        lagging.view.lag_bytes = 1ULL << 40;
        t->ingest({far, primary(), near, lagging});
        std::vector<int> hits(4, 0);
        for (std::size_t c = 0; c < 8; ++c) ++hits.at(t->fast_route(ConnectionMode::ReadOnly, c).value());
        if (policy == ReadPolicy::RoundRobin) {
            EXPECT_EQ(hits, (std::vector<int>{4, 0, 4, 0}));
        } else {
            EXPECT_EQ(hits, (std::vector<int>{0, 0, 8, 0}));
        }
    }
}

}  // namespace
}  // namespace ucm::pg
