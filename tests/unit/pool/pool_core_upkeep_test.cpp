// The sans-io pool core over time: lifetime, idle shrink, warm-up, leaks, generations, shutdown.
#include "pool_core_harness.hpp"

#include <string_view>

namespace ucm::pool::testing {
namespace {

TEST(PoolCoreUpkeep, LifetimeIsShortenedByAtMostTheJitter) {
    PoolOptions o = small_options(200, 0);
    o.max_lifetime = 30min;
    o.lifetime_jitter = 0.025;
    CoreHarness h(o);
    const Duration lifetime = 30min;
    Duration shortest = lifetime;
    Duration longest = Duration::zero();
    for (int i = 0; i < 200; ++i) {
        const SlotId slot = h.open_lease();
        const Duration life = h.core.expires_at(slot) - h.now;
        shortest = std::min(shortest, life);
        longest = std::max(longest, life);
    }
    EXPECT_GE(shortest, lifetime - std::chrono::duration_cast<Duration>(45s));  // 2.5 % of 30 min
    EXPECT_LE(longest, lifetime);
    EXPECT_GT(longest - shortest, Duration(30s));  // actually spread, not a constant cut
}

TEST(PoolCoreUpkeep, JitterIsDeterministicForASeed) {
    PoolOptions o = small_options();
    o.max_lifetime = 30min;
    CoreHarness first(o, 7);
    CoreHarness second(o, 7);
    EXPECT_EQ(first.core.expires_at(first.open_lease()) - first.now,
              second.core.expires_at(second.open_lease()) - second.now);
}

TEST(PoolCoreUpkeep, WithoutMaxLifetimeConnectionsNeverExpire) {
    CoreHarness h;
    EXPECT_EQ(h.core.expires_at(h.open_lease()), TimePoint::max());
}

TEST(PoolCoreUpkeep, ExpiredConnectionIsClosedOnRelease) {
    PoolOptions o = small_options();
    o.max_lifetime = 30min;
    CoreHarness h(o);
    const SlotId slot = h.open_lease();
    h.now += 30min;
    h.release(slot);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{slot});
}

TEST(PoolCoreUpkeep, ExpiredIdleConnectionIsClosedAtCheckoutAndAnotherUsed) {
    PoolOptions o = small_options(2, 0);
    o.max_lifetime = 30min;
    CoreHarness h(o);
    const SlotId old_one = h.open_lease();
    h.now += 20min;
    const SlotId young = h.open_lease();
    h.release(young);
    h.release(old_one);  // on top of the LIFO stack
    h.now += 11min;      // old_one expired, young did not
    Waiter& w = h.acquire();
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{old_one});
    EXPECT_EQ(w.slot, young);
}

TEST(PoolCoreUpkeep, MaintainClosesExpiredIdleConnections) {
    PoolOptions o = small_options();
    o.max_lifetime = 30min;
    CoreHarness h(o);
    const SlotId slot = h.open_lease();
    h.release(slot);
    h.now += 30min;
    h.maintain();
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{slot});
}

TEST(PoolCoreUpkeep, IdleTimeoutClosesDownToMinIdleOldestFirst) {
    PoolOptions o = small_options(4, 0);
    o.idle_timeout = 10min;
    o.min_idle = 1;
    CoreHarness h(o);
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    const SlotId c = h.open_lease();
    h.release(a);
    h.now += 1min;
    h.release(b);
    h.now += 1min;
    h.release(c);
    h.now += 10min;
    h.maintain();
    EXPECT_EQ(h.slots_of(ActionKind::Close), (std::vector<SlotId>{a, b}));
    EXPECT_EQ(h.core.stats().idle, 1U);
    EXPECT_EQ(h.core.slot_state(c), SlotState::Idle);
}

TEST(PoolCoreUpkeep, IdleTimeoutSparesRecentlyUsedConnections) {
    PoolOptions o = small_options(2, 0);
    o.idle_timeout = 10min;
    CoreHarness h(o);
    const SlotId a = h.open_lease();
    h.release(a);
    h.now += 9min;
    h.maintain();
    EXPECT_TRUE(h.out.empty());
}

TEST(PoolCoreUpkeep, MaintainOpensUpToMinIdle) {
    PoolOptions o = small_options(5, 2);
    o.min_idle = 3;
    CoreHarness h(o);
    h.maintain();
    EXPECT_EQ(h.count(ActionKind::Open), 3U);
    const std::vector<SlotId> opening = h.slots_of(ActionKind::Open);
    for (const SlotId slot : opening) h.core.on_connected(slot, nullptr, h.now, h.out);
    EXPECT_EQ(h.core.stats().idle, 3U);
    h.maintain();
    EXPECT_EQ(h.count(ActionKind::Open), 0U);
}

TEST(PoolCoreUpkeep, WarmUpNeverOpensOverflow) {
    PoolOptions o = small_options(2, 3);
    o.min_idle = 2;
    CoreHarness h(o);
    h.open_lease();
    h.open_lease();
    h.maintain();
    EXPECT_EQ(h.count(ActionKind::Open), 0U);
}

TEST(PoolCoreUpkeep, WarmConnectionGoesToAWaiterIfOneQueuedMeanwhile) {
    PoolOptions o = small_options(2, 0);
    o.min_idle = 1;
    CoreHarness h(o);
    h.open_lease();
    h.maintain();
    ASSERT_EQ(h.count(ActionKind::Open), 1U);
    const SlotId warm = h.slots_of(ActionKind::Open)[0];
    Waiter& w = h.acquire();
    ASSERT_EQ(w.state, WaitState::Queued);
    h.out.clear();
    h.core.on_connected(warm, nullptr, h.now, h.out);
    EXPECT_TRUE(h.wakes(w));
    EXPECT_EQ(w.slot, warm);
    EXPECT_EQ(w.kind, GrantKind::Fresh);
}

TEST(PoolCoreUpkeep, MaintainTimesOutExpiredWaiters) {
    CoreHarness h(small_options(1, 0));
    h.open_lease();
    Waiter& early = h.acquire(1s);
    Waiter& late = h.acquire(5s);
    h.now += 2s;
    h.maintain();
    EXPECT_TRUE(h.wakes(early));
    EXPECT_EQ(early.error, Errc::pool_timeout);
    EXPECT_EQ(late.state, WaitState::Queued);
}

TEST(PoolCoreUpkeep, MaintainRetriesAConnectAfterTheBackOff) {
    PoolOptions o = small_options(1, 0);
    o.connect_retry_interval = 250ms;
    CoreHarness h(o);
    Waiter& w = h.acquire();
    h.core.on_connect_failed(w.slot, &w, {.message = "refused"}, h.now, h.out);
    h.now += 250ms;
    h.maintain();
    EXPECT_TRUE(h.wakes(w));
    EXPECT_EQ(w.kind, GrantKind::Connect);
}

TEST(PoolCoreUpkeep, LeakIsReportedOnceWithTheAcquireSite) {
    PoolOptions o = small_options();
    o.leak_threshold = 60s;
    CoreHarness h(o);
    const SlotId slot = h.open_lease();
    h.now += 59s;
    h.maintain();
    EXPECT_EQ(h.count(ActionKind::ReportLeak), 0U);
    h.now += 1s;
    h.maintain();
    ASSERT_EQ(h.count(ActionKind::ReportLeak), 1U);
    const LeakReport report = h.out[0].leak;
    EXPECT_EQ(report.slot, slot);
    EXPECT_EQ(report.held, Duration(60s));
    EXPECT_NE(std::string_view(report.acquired_at.file_name()).find("pool_core_harness.hpp"),
              std::string_view::npos);
    h.now += 60s;
    h.maintain();
    EXPECT_EQ(h.count(ActionKind::ReportLeak), 0U);
    EXPECT_EQ(h.core.stats().leaks_suspected, 1U);
}

TEST(PoolCoreUpkeep, ReturnedAndReleasedLeaseIsReportedAgainOnlyIfHeldTooLongAgain) {
    PoolOptions o = small_options(1, 0);
    o.leak_threshold = 60s;
    CoreHarness h(o);
    const SlotId slot = h.open_lease();
    h.now += 60s;
    h.maintain();
    h.release(slot);
    h.acquire();
    h.now += 60s;
    h.maintain();
    EXPECT_EQ(h.count(ActionKind::ReportLeak), 1U);
    EXPECT_EQ(h.core.stats().leaks_suspected, 2U);
}

TEST(PoolCoreUpkeep, LongHoldersListsLeasesPastTheThreshold) {
    PoolOptions o = small_options(2, 0);
    o.leak_threshold = 60s;
    CoreHarness h(o);
    const SlotId old_lease = h.open_lease();
    h.now += 30s;
    h.open_lease();
    h.now += 30s;
    const std::vector<LeakReport> holders = h.core.long_holders(h.now);
    ASSERT_EQ(holders.size(), 1U);
    EXPECT_EQ(holders[0].slot, old_lease);
    EXPECT_EQ(holders[0].held, Duration(60s));
}

TEST(PoolCoreUpkeep, GenerationChangeClosesIdleAtOnce) {
    CoreHarness h;
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    h.release(a);
    h.out.clear();
    h.core.set_generation(1, h.out);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{a});
    EXPECT_EQ(h.core.slot_state(b), SlotState::Leased);
}

TEST(PoolCoreUpkeep, GenerationChangeClosesLeasedOnRelease) {
    CoreHarness h;
    const SlotId slot = h.open_lease();
    h.core.set_generation(1, h.out);
    h.release(slot);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{slot});
}

TEST(PoolCoreUpkeep, ConnectCompletedAfterAGenerationChangeIsDiscarded) {
    CoreHarness h;
    Waiter& w = h.acquire();
    const SlotId stale = w.slot;
    h.core.set_generation(1, h.out);
    h.out.clear();
    h.core.on_connected(stale, &w, h.now, h.out);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{stale});
    EXPECT_EQ(w.state, WaitState::Granted);  // given another slot to connect, in the new generation
    EXPECT_EQ(w.kind, GrantKind::Connect);
    EXPECT_NE(w.slot, stale);
}

TEST(PoolCoreUpkeep, ShutdownFailsQueuedWaitersAndNewRequests) {
    CoreHarness h(small_options(1, 0));
    h.open_lease();
    Waiter& queued = h.acquire();
    h.out.clear();
    h.core.shutdown(h.out);
    EXPECT_TRUE(h.wakes(queued));
    EXPECT_EQ(queued.error, Errc::shut_down);
    Waiter& late = h.acquire();
    EXPECT_EQ(late.error, Errc::shut_down);
    EXPECT_EQ(h.core.stats().rejected_shut_down, 2U);
}

TEST(PoolCoreUpkeep, ShutdownClosesIdleNowAndLeasedOnRelease) {
    CoreHarness h;
    const SlotId idle = h.open_lease();
    const SlotId leased = h.open_lease();
    h.release(idle);
    h.out.clear();
    h.core.shutdown(h.out);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{idle});
    h.finish_closes();
    EXPECT_FALSE(h.core.drained());
    h.release(leased);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{leased});
    h.finish_closes();
    EXPECT_TRUE(h.core.drained());
}

TEST(PoolCoreUpkeep, ConnectCompletedAfterShutdownIsClosedAndItsRequesterFailed) {
    CoreHarness h;
    Waiter& w = h.acquire();
    h.core.shutdown(h.out);
    h.out.clear();
    h.core.on_connected(w.slot, &w, h.now, h.out);
    EXPECT_EQ(w.error, Errc::shut_down);
    EXPECT_EQ(h.count(ActionKind::Close), 1U);
}

}  // namespace
}  // namespace ucm::pool::testing
