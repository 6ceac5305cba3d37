// The sans-io pool core, request by request: sizing, FIFO, LIFO, deadlines, checks, connects.
#include "pool_core_harness.hpp"

namespace ucm::pool::testing {
namespace {

TEST(PoolCore, FirstAcquireReservesASlotToConnect) {
    CoreHarness h;
    Waiter& w = h.acquire();
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.kind, GrantKind::Connect);
    EXPECT_EQ(h.core.slot_state(w.slot), SlotState::Connecting);
    EXPECT_EQ(h.core.stats().opening, 1U);
}

TEST(PoolCore, ConnectedSlotIsLeasedFreshToTheRequester) {
    CoreHarness h;
    const SlotId slot = h.open_lease();
    EXPECT_EQ(h.core.slot_state(slot), SlotState::Leased);
    const PoolStats s = h.core.stats();
    EXPECT_EQ(s.in_use, 1U);
    EXPECT_EQ(s.created, 1U);
    EXPECT_EQ(s.opening, 0U);
}

TEST(PoolCore, NeverMoreThanSizePlusOverflowSlotsAreTaken) {
    CoreHarness h(small_options(2, 1));
    for (int i = 0; i < 3; ++i) h.open_lease();
    Waiter& fourth = h.acquire();
    EXPECT_EQ(fourth.state, WaitState::Queued);
    const PoolStats s = h.core.stats();
    EXPECT_EQ(s.total, 3U);
    EXPECT_EQ(s.overflow_in_use, 1U);
    EXPECT_EQ(s.waiting, 1U);
}

TEST(PoolCore, OverflowConnectionIsClosedOnReleaseWhenNobodyWaits) {
    CoreHarness h(small_options(2, 1));
    const SlotId a = h.open_lease();
    h.open_lease();
    h.open_lease();
    h.release(a);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{a});
    h.finish_closes();
    EXPECT_EQ(h.core.stats().total, 2U);
    EXPECT_EQ(h.core.stats().closed, 1U);
}

TEST(PoolCore, PersistentConnectionGoesIdleOnRelease) {
    CoreHarness h(small_options(2, 1));
    const SlotId a = h.open_lease();
    h.release(a);
    EXPECT_TRUE(h.out.empty());
    EXPECT_EQ(h.core.slot_state(a), SlotState::Idle);
    EXPECT_EQ(h.core.stats().idle, 1U);
}

TEST(PoolCore, OverflowConnectionServesAWaiterInsteadOfClosing) {
    CoreHarness h(small_options(1, 1));
    h.open_lease();
    const SlotId overflow = h.open_lease();
    Waiter& w = h.acquire();
    h.release(overflow);
    EXPECT_EQ(h.count(ActionKind::Close), 0U);
    EXPECT_TRUE(h.wakes(w));
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.slot, overflow);
    EXPECT_EQ(w.kind, GrantKind::Ready);
}

TEST(PoolCore, WaitersAreServedInFifoOrder) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& first = h.acquire();
    Waiter& second = h.acquire();
    Waiter& third = h.acquire();
    h.release(slot);
    EXPECT_TRUE(h.wakes(first));
    EXPECT_FALSE(h.wakes(second));
    h.core.poll(second, h.now, h.out);  // even if the second polls first, the head is served
    EXPECT_EQ(first.state, WaitState::Granted);
    EXPECT_EQ(second.state, WaitState::Queued);
    h.release(slot);
    h.core.poll(second, h.now, h.out);
    EXPECT_EQ(second.state, WaitState::Granted);
    EXPECT_EQ(third.state, WaitState::Queued);
    h.release(slot);
    h.core.poll(third, h.now, h.out);
    EXPECT_EQ(third.state, WaitState::Granted);
}

TEST(PoolCore, ReleaseWithWaitersKeepsTheConnectionIdleAndWakesTheFirst) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& first = h.acquire();
    h.acquire();
    h.release(slot);
    EXPECT_EQ(h.core.slot_state(slot), SlotState::Idle);
    EXPECT_EQ(h.out.size(), 1U);
    EXPECT_TRUE(h.wakes(first));
}

TEST(PoolCore, WaiterIsWokenOnceUntilItPolls) {
    CoreHarness h(small_options(2, 0));
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    Waiter& w = h.acquire();
    h.release(a);
    EXPECT_TRUE(h.wakes(w));
    h.acquire();  // a newcomer takes `a` before `w` runs
    h.release(b);
    EXPECT_FALSE(h.wakes(w));  // still woken from before: no second wake-up call
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.slot, b);
}

TEST(PoolCore, NewcomerMayTakeAConnectionLeftForAWaiterThatHasNotRunYet) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& waiting = h.acquire();
    h.release(slot);
    Waiter& newcomer = h.acquire();
    EXPECT_EQ(newcomer.state, WaitState::Granted);
    EXPECT_EQ(waiting.state, WaitState::Queued);
}

TEST(PoolCore, WaiterPastTheStarvationThresholdIsHandedTheNextReleaseDirectly) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& waiting = h.acquire();
    h.now += kStarvationThreshold;
    h.release(slot);
    EXPECT_EQ(waiting.state, WaitState::Granted);
    EXPECT_TRUE(h.wakes(waiting));
    EXPECT_EQ(h.acquire().state, WaitState::Queued);
}

TEST(PoolCore, NewcomerCannotTakeAnIdleConnectionFromAStarvingWaiter) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& waiting = h.acquire();
    h.release(slot);  // idle, `waiting` woken but not yet running
    h.now += kStarvationThreshold;
    Waiter& newcomer = h.acquire();
    EXPECT_EQ(waiting.state, WaitState::Granted);
    EXPECT_EQ(newcomer.state, WaitState::Queued);
}

TEST(PoolCore, IdleConnectionsAreReusedLifo) {
    CoreHarness h(small_options(3, 0));
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    const SlotId c = h.open_lease();
    h.release(b);
    h.release(a);
    h.release(c);
    EXPECT_EQ(h.acquire().slot, c);
    EXPECT_EQ(h.acquire().slot, a);
    EXPECT_EQ(h.acquire().slot, b);
}

TEST(PoolCore, APreferredIdleConnectionIsGrantedBeforeLifoOrder) {
    CoreHarness h(small_options(3, 0));
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    const SlotId c = h.open_lease();
    h.release(a);
    h.release(b);
    h.release(c);
    EXPECT_EQ(h.acquire(5s, a).slot, a);
    EXPECT_EQ(h.acquire().slot, c) << "the others keep their LIFO order";
    EXPECT_EQ(h.acquire().slot, b);
}

TEST(PoolCore, APreferredConnectionThatIsNotIdleIsIgnored) {
    CoreHarness h(small_options(2, 0));
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    h.release(b);
    EXPECT_EQ(h.acquire(5s, a).slot, b);
}

TEST(PoolCore, IdleConnectionIsGrantedReadyForTheCheapCheck) {
    CoreHarness h;
    h.release(h.open_lease());
    Waiter& w = h.acquire();
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.kind, GrantKind::Ready);
    EXPECT_TRUE(h.out.empty());
}

TEST(PoolCore, IdlePastValidateThresholdIsGrantedWithPing) {
    PoolOptions o = small_options();
    o.validate_after_idle = 30s;
    CoreHarness h(o);
    h.release(h.open_lease());
    h.now += 30s;
    EXPECT_EQ(h.acquire().kind, GrantKind::Ping);
}

TEST(PoolCore, IdleBelowValidateThresholdIsNotPinged) {
    PoolOptions o = small_options();
    o.validate_after_idle = 30s;
    CoreHarness h(o);
    h.release(h.open_lease());
    h.now += 29s;
    EXPECT_EQ(h.acquire().kind, GrantKind::Ready);
}

TEST(PoolCore, QueuedRequestTimesOutWhenPolledPastItsDeadline) {
    CoreHarness h(small_options(1, 0));
    h.open_lease();
    Waiter& w = h.acquire(1s);
    h.now += 999ms;
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Queued);
    h.now += 1ms;
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Failed);
    EXPECT_EQ(w.error, Errc::pool_timeout);
    EXPECT_EQ(h.core.stats().timeouts, 1U);
    EXPECT_EQ(h.core.stats().waiting, 0U);
}

TEST(PoolCore, ZeroTimeoutFailsAtOnceWhenExhausted) {
    CoreHarness h(small_options(1, 0));
    h.open_lease();
    Waiter& w = h.acquire(0s);
    EXPECT_EQ(w.state, WaitState::Failed);
    EXPECT_EQ(w.error, Errc::pool_timeout);
}

TEST(PoolCore, QueueBoundRejectsWithQueueFull) {
    PoolOptions o = small_options(1, 0);
    o.max_waiters = 2;
    CoreHarness h(o);
    h.open_lease();
    EXPECT_EQ(h.acquire().state, WaitState::Queued);
    EXPECT_EQ(h.acquire().state, WaitState::Queued);
    Waiter& third = h.acquire();
    EXPECT_EQ(third.state, WaitState::Failed);
    EXPECT_EQ(third.error, Errc::queue_full);
    EXPECT_EQ(h.core.stats().queue_full, 1U);
}

TEST(PoolCore, ZeroMaxWaitersNeverQueues) {
    PoolOptions o = small_options(1, 0);
    o.max_waiters = 0;
    CoreHarness h(o);
    h.open_lease();
    EXPECT_EQ(h.acquire().error, Errc::queue_full);
}

TEST(PoolCore, CancelRemovesAQueuedRequest) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& gone = h.acquire();
    Waiter& next = h.acquire();
    EXPECT_TRUE(h.core.cancel(gone));
    h.release(slot);
    EXPECT_TRUE(h.wakes(next));
    h.core.poll(next, h.now, h.out);
    EXPECT_EQ(next.state, WaitState::Granted);
    EXPECT_FALSE(h.core.cancel(next));
}

TEST(PoolCore, FailedCheckReconnectsInPlaceWhenNoOtherConnectionIsIdle) {
    CoreHarness h;
    const SlotId slot = h.open_lease();
    h.release(slot);
    Waiter& w = h.acquire();
    h.out.clear();
    h.core.on_check_failed(w.slot, w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.kind, GrantKind::Connect);
    EXPECT_EQ(w.slot, slot);
    const PoolStats s = h.core.stats();
    EXPECT_EQ(s.liveness_failures, 1U);
    EXPECT_EQ(s.closed, 1U);
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.opening, 1U);
}

TEST(PoolCore, FailedCheckPrefersAnotherIdleConnection) {
    CoreHarness h;
    const SlotId a = h.open_lease();
    const SlotId b = h.open_lease();
    h.release(a);
    h.release(b);
    Waiter& w = h.acquire();
    ASSERT_EQ(w.slot, b);
    h.out.clear();
    h.core.on_check_failed(b, w, h.now, h.out);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{b});
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.slot, a);
    EXPECT_EQ(w.kind, GrantKind::Ready);
}

TEST(PoolCore, BrokenReleaseClosesTheConnection) {
    CoreHarness h;
    const SlotId slot = h.open_lease();
    h.release(slot, /*broken=*/true);
    EXPECT_EQ(h.slots_of(ActionKind::Close), std::vector<SlotId>{slot});
    EXPECT_EQ(h.core.stats().idle, 0U);
}

TEST(PoolCore, ClosedSlotIsReopenedForAWaiter) {
    CoreHarness h(small_options(1, 0));
    const SlotId slot = h.open_lease();
    Waiter& w = h.acquire();
    h.release(slot, /*broken=*/true);
    EXPECT_EQ(w.state, WaitState::Queued);  // the slot still counts until its close completes
    h.finish_closes();
    EXPECT_TRUE(h.wakes(w));
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.kind, GrantKind::Connect);
}

TEST(PoolCore, ConnectFailureRequeuesTheRequesterAtTheHead) {
    PoolOptions o = small_options(1, 0);
    o.connect_retry_interval = 100ms;
    CoreHarness h(o);
    Waiter& first = h.acquire();
    Waiter& second = h.acquire();
    h.out.clear();
    h.core.on_connect_failed(first.slot, &first, {.message = "refused"}, h.now, h.out);
    EXPECT_EQ(first.state, WaitState::Queued);
    h.now += 100ms;
    h.core.poll(second, h.now, h.out);  // whoever polls, the head is served first
    EXPECT_EQ(first.state, WaitState::Granted);
    EXPECT_EQ(second.state, WaitState::Queued);
}

TEST(PoolCore, ConnectFailureBacksOffBeforeTheNextAttempt) {
    PoolOptions o = small_options(2, 0);
    o.connect_retry_interval = 100ms;
    CoreHarness h(o);
    Waiter& w = h.acquire();
    h.core.on_connect_failed(w.slot, &w, {.message = "refused"}, h.now, h.out);
    EXPECT_EQ(h.core.next_wake(w, h.now), h.now + 100ms);
    h.now += 99ms;
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Queued);
    h.now += 1ms;
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.kind, GrantKind::Connect);
}

TEST(PoolCore, ANewGenerationEndsTheBackOffAndWakesTheHead) {
    PoolOptions o = small_options(2, 0);
    o.connect_retry_interval = 100ms;
    CoreHarness h(o);
    Waiter& w = h.acquire();
    h.core.on_connect_failed(w.slot, &w, {.message = "refused"}, h.now, h.out);
    h.out.clear();
    // The target moved (a new master): its first connect must not wait out the old one's back-off.
    h.core.set_generation(h.core.generation() + 1, h.out);
    EXPECT_TRUE(h.wakes(w));
    h.core.poll(w, h.now, h.out);
    EXPECT_EQ(w.state, WaitState::Granted);
    EXPECT_EQ(w.kind, GrantKind::Connect);
}

TEST(PoolCore, WhileConnectsFailOnlyOneAttemptRunsAtATime) {
    PoolOptions o = small_options(3, 0);
    o.connect_retry_interval = 0ms;
    CoreHarness h(o);
    Waiter& a = h.acquire();
    h.core.on_connect_failed(a.slot, &a, {.message = "refused"}, h.now, h.out);
    ASSERT_EQ(a.state, WaitState::Granted);  // no back-off: retried at once
    Waiter& b = h.acquire();
    EXPECT_EQ(b.state, WaitState::Queued);
    EXPECT_EQ(h.core.stats().opening, 1U);
    h.out.clear();
    h.core.on_connected(a.slot, &a, h.now, h.out);
    EXPECT_TRUE(h.wakes(b));  // success ends the probing: the queue is served again
    EXPECT_EQ(b.kind, GrantKind::Connect);
}

TEST(PoolCore, NonRetriableConnectFailureFailsTheRequester) {
    CoreHarness h;
    Waiter& w = h.acquire();
    h.core.on_connect_failed(
        w.slot, &w,
        {.message = "password authentication failed", .retriable = false, .code = Errc::auth_failed}, h.now,
        h.out);
    EXPECT_EQ(w.state, WaitState::Failed);
    EXPECT_EQ(w.error, Errc::auth_failed);
}

TEST(PoolCore, ConnectFailurePastTheDeadlineTimesOutWithTheLastError) {
    CoreHarness h;
    Waiter& w = h.acquire(1s);
    h.now += 1s;
    h.core.on_connect_failed(w.slot, &w, {.message = "no route to host"}, h.now, h.out);
    EXPECT_EQ(w.error, Errc::pool_timeout);
    EXPECT_TRUE(h.core.connects_failing());
    EXPECT_EQ(h.core.last_connect_error(), "no route to host");
    EXPECT_EQ(h.core.stats().connect_failures, 1U);
}

TEST(PoolCore, SuccessfulConnectClearsTheFailingState) {
    PoolOptions o = small_options();
    o.connect_retry_interval = 0ms;
    CoreHarness h(o);
    Waiter& w = h.acquire();
    h.core.on_connect_failed(w.slot, &w, {.message = "refused"}, h.now, h.out);
    h.core.on_connected(w.slot, &w, h.now, h.out);
    EXPECT_FALSE(h.core.connects_failing());
}

TEST(PoolCore, ImmediateAcquireCountsAsZeroWait) {
    CoreHarness h;
    h.release(h.open_lease());
    Waiter& w = h.acquire();
    EXPECT_TRUE(w.fast_counted);
    EXPECT_EQ(h.core.stats().acquire_wait[0], 1U);
    h.core.record_wait(2ms);
    EXPECT_EQ(h.core.stats().acquire_wait[acquire_wait_bucket(2ms)], 1U);
}

TEST(PoolCore, FailedCheckUncountsTheImmediateAcquire) {
    CoreHarness h;
    h.release(h.open_lease());
    Waiter& w = h.acquire();
    h.core.on_check_failed(w.slot, w, h.now, h.out);
    EXPECT_FALSE(w.fast_counted);
    EXPECT_EQ(h.core.stats().acquire_wait[0], 0U);
}

TEST(PoolCore, AcquiredMinusReleasedIsInUse) {
    CoreHarness h(small_options(2, 1));
    const SlotId a = h.open_lease();
    h.open_lease();
    h.release(a);
    h.acquire();
    const PoolStats s = h.core.stats();
    EXPECT_EQ(s.acquired - s.released, s.in_use);
    EXPECT_EQ(s.in_use, 2U);
}

TEST(PoolCore, OutOfRangeOptionsAreClampedNotThrown) {
    PoolOptions o = small_options(0, 0);
    o.min_idle = 5;
    o.lifetime_jitter = 7.0;
    PoolCore core(o, 1);
    EXPECT_EQ(core.capacity(), 1U);
    EXPECT_EQ(core.options().min_idle, 1U);
    EXPECT_EQ(core.options().lifetime_jitter, 0.5);
}

}  // namespace
}  // namespace ucm::pool::testing
