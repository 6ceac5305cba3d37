#include "redis/master_state.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ucm::redis {
namespace {

using namespace std::chrono_literals;
const Endpoint kA{"127.0.0.1", 7001};
const Endpoint kB{"127.0.0.1", 7002};
const MasterState::TimePoint kT0{std::chrono::hours(1)};

MasterState discovered(const Endpoint& master, std::uint64_t epoch) {
    MasterState state;
    const std::vector<MasterAnswer> answers{{master, epoch}};
    const auto pick = state.consider(answers);
    EXPECT_TRUE(pick.has_value());
    if (pick) {
        EXPECT_TRUE(state.adopt(*pick));
    }
    return state;
}

TEST(MasterState, FirstDiscoveryPicksTheHighestEpoch) {
    MasterState state;
    const std::vector<MasterAnswer> answers{{kA, 3}, {kB, 5}, {kA, 4}};
    const auto pick = state.consider(answers);
    ASSERT_TRUE(pick);
    EXPECT_EQ(pick->address, kB);
    EXPECT_TRUE(state.adopt(*pick));
    EXPECT_EQ(state.master(), kB);
    EXPECT_EQ(state.generation(), 1u);
    EXPECT_EQ(state.known_epoch(), 5u);
}

TEST(MasterState, NoAnswersKeepTheMaster) {
    auto state = discovered(kA, 1);
    EXPECT_FALSE(state.consider({}));
    EXPECT_EQ(state.master(), kA);
}

TEST(MasterState, SwitchMasterSwitchesAtOnceAndBumpsTheGeneration) {
    auto state = discovered(kA, 1);
    EXPECT_TRUE(state.on_switch_master(kA, kB));
    EXPECT_EQ(state.master(), kB);
    EXPECT_EQ(state.generation(), 2u);
    EXPECT_TRUE(state.is_retired(kA));
    EXPECT_FALSE(state.is_retired(kB));
}

TEST(MasterState, RepeatedAnnouncementsChangeNothing) {
    auto state = discovered(kA, 1);
    EXPECT_TRUE(state.on_switch_master(kA, kB));
    EXPECT_FALSE(state.on_switch_master(kA, kB));
    EXPECT_EQ(state.generation(), 2u);
}

TEST(MasterState, AStaleSentinelCannotBringBackARetiredMaster) {
    auto state = discovered(kA, 1);
    ASSERT_TRUE(state.on_switch_master(kA, kB));
    // One sentinel has not caught up: it still names A at the old epoch.
    const std::vector<MasterAnswer> stale{{kA, 1}};
    EXPECT_FALSE(state.consider(stale));
    EXPECT_EQ(state.master(), kB);
}

TEST(MasterState, OnceTheNewEpochIsSeenOlderAnswersAreIgnored) {
    auto state = discovered(kA, 1);
    ASSERT_TRUE(state.on_switch_master(kA, kB));
    const std::vector<MasterAnswer> fresh{{kB, 2}};
    EXPECT_FALSE(state.consider(fresh));
    EXPECT_EQ(state.known_epoch(), 2u);
    const std::vector<MasterAnswer> behind{{kA, 1}, {kB, 1}};
    EXPECT_FALSE(state.consider(behind));
    EXPECT_EQ(state.master(), kB);
}

TEST(MasterState, ALaterFailoverMayReturnToARetiredAddress) {
    auto state = discovered(kA, 1);
    ASSERT_TRUE(state.on_switch_master(kA, kB));
    const std::vector<MasterAnswer> newer{{kA, 3}};
    const auto pick = state.consider(newer);
    ASSERT_TRUE(pick);
    EXPECT_TRUE(state.adopt(*pick));
    EXPECT_EQ(state.master(), kA);
    EXPECT_TRUE(state.is_retired(kB));
    EXPECT_FALSE(state.is_retired(kA));
    // And a switch-master back to it is authoritative too.
    EXPECT_TRUE(state.on_switch_master(kA, kB));
    EXPECT_EQ(state.master(), kB);
}

TEST(MasterState, FenceFromFirstEventUntilSwitch) {
    auto state = discovered(kA, 1);
    state.on_failover_started(kT0);
    EXPECT_TRUE(state.fenced());
    state.on_failover_started(kT0 + 100ms);  // later progress events keep the first start time
    EXPECT_FALSE(state.expire_fence(kT0 + 1900ms, 2s));
    EXPECT_TRUE(state.fenced());
    EXPECT_TRUE(state.on_switch_master(kA, kB));
    EXPECT_FALSE(state.fenced());
}

TEST(MasterState, FenceLiftedByAbortOrExpiry) {
    auto state = discovered(kA, 1);
    state.on_failover_started(kT0);
    state.on_failover_aborted();
    EXPECT_FALSE(state.fenced());
    EXPECT_EQ(state.master(), kA);
    state.on_failover_started(kT0 + 1s);
    EXPECT_FALSE(state.expire_fence(kT0 + 2s, 2s));
    EXPECT_TRUE(state.expire_fence(kT0 + 3s, 2s));
    EXPECT_FALSE(state.fenced());
    EXPECT_EQ(state.generation(), 1u);
}

TEST(MasterState, ALateDuplicateDoesNotLiftTheFenceOfANewerFailover) {
    auto state = discovered(kA, 1);
    ASSERT_TRUE(state.on_switch_master(kA, kB));
    state.on_failover_started(kT0);
    EXPECT_FALSE(state.on_switch_master(kA, kB));  // a late duplicate from another sentinel
    EXPECT_TRUE(state.fenced());
    EXPECT_TRUE(state.on_switch_master(kB, kA));
    EXPECT_FALSE(state.fenced());
}

TEST(MasterState, DiscoveryAheadOfTheAnnouncementLiftsTheFence) {
    auto state = discovered(kA, 1);
    state.on_failover_started(kT0);
    const std::vector<MasterAnswer> answers{{kB, 2}};
    const auto pick = state.consider(answers);
    ASSERT_TRUE(pick);
    EXPECT_TRUE(state.adopt(*pick));
    EXPECT_FALSE(state.fenced());
    EXPECT_FALSE(state.on_switch_master(kA, kB));
    EXPECT_EQ(state.generation(), 2u);
}

}  // namespace
}  // namespace ucm::redis
