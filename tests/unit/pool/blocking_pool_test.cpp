// The blocking driver over fake resources and a fake clock: what callers and resources observe.
#include "blocking_pool_harness.hpp"

#include <ucm/core/error.hpp>

#include <optional>
#include <string>

namespace ucm::pool::testing {
namespace {

using test::FakeResource;

TEST(BlockingPool, AcquireOpensAConnectionAndReleaseKeepsIt) {
    PoolHarness h;
    { Lease lease = h.pool.acquire(); }
    EXPECT_EQ(h.fakes.opens(), 1);
    EXPECT_EQ(h.fakes.closes(), 0);
    EXPECT_EQ(h.pool.stats().idle, 1U);
}

TEST(BlockingPool, SecondAcquireReusesTheIdleConnection) {
    PoolHarness h;
    int first_id = -1;
    {
        Lease lease = h.pool.acquire();
        first_id = lease.as<FakeResource>().id();
    }
    Lease again = h.pool.acquire();
    EXPECT_EQ(again.as<FakeResource>().id(), first_id);
    EXPECT_EQ(h.fakes.opens(), 1);
}

TEST(BlockingPool, NeverOpensMoreThanSizePlusOverflow) {
    PoolHarness h(test_options(2, 1));
    std::vector<Lease> leases;
    for (int i = 0; i < 3; ++i) leases.push_back(h.pool.acquire());
    EXPECT_THROW((void)h.pool.acquire_for(0ms), PoolTimeout);
    EXPECT_EQ(h.fakes.opens(), 3);
    EXPECT_EQ(h.pool.stats().total, 3U);
}

TEST(BlockingPool, OverflowConnectionIsClosedOnRelease) {
    PoolHarness h(test_options(1, 1));
    Lease a = h.pool.acquire();
    Lease b = h.pool.acquire();
    b.release();
    EXPECT_EQ(h.fakes.closes(), 1);
    EXPECT_EQ(h.fakes.destroyed(), 1);
    a.release();
    EXPECT_EQ(h.fakes.closes(), 1);
    EXPECT_EQ(h.pool.stats().idle, 1U);
}

TEST(BlockingPool, IdleConnectionsAreReusedLifo) {
    PoolHarness h(test_options(3, 0));
    Lease a = h.pool.acquire();
    Lease b = h.pool.acquire();
    const int a_id = a.as<FakeResource>().id();
    const int b_id = b.as<FakeResource>().id();
    b.release();
    a.release();
    EXPECT_EQ(h.pool.acquire().as<FakeResource>().id(), a_id);
    Lease first = h.pool.acquire();
    EXPECT_EQ(first.as<FakeResource>().id(), a_id);
    EXPECT_EQ(h.pool.acquire().as<FakeResource>().id(), b_id);
}

TEST(BlockingPool, TimeoutMessageNamesEndpointSizesInUseAndWaiters) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    try {
        (void)h.pool.acquire_for(0ms);
        FAIL() << "expected PoolTimeout";
    } catch (const PoolTimeout& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("db.test:5432"), std::string::npos) << m;
        EXPECT_NE(m.find("size 1"), std::string::npos) << m;
        EXPECT_NE(m.find("max_overflow 0"), std::string::npos) << m;
        EXPECT_NE(m.find("in use 1"), std::string::npos) << m;
        EXPECT_NE(m.find("waiters 0"), std::string::npos) << m;
        EXPECT_EQ(e.endpoint(), "db.test:5432");
        EXPECT_TRUE(e.retriable());
    }
}

TEST(BlockingPool, TimeoutWhileConnectsFailCarriesTheLastConnectError) {
    PoolHarness h;
    h.fakes.fail_connects(-1, "could not connect: Connection refused");
    try {
        (void)h.pool.acquire_for(0ms);
        FAIL() << "expected PoolTimeout";
    } catch (const PoolTimeout& e) {
        EXPECT_NE(std::string(e.what()).find("last connect error: could not connect: Connection refused"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(h.pool.stats().connect_failures, 1U);
}

TEST(BlockingPool, RetriableConnectFailureIsRetriedWithinTheAcquire) {
    PoolHarness h;
    h.fakes.fail_connects(2);
    Lease lease = h.pool.acquire();
    EXPECT_TRUE(lease);
    EXPECT_EQ(h.fakes.connect_attempts(), 3);
    EXPECT_EQ(h.pool.stats().connect_failures, 2U);
}

TEST(BlockingPool, RetryWaitsForTheBackOffOnTheFakeClock) {
    PoolOptions o = test_options();
    o.connect_retry_interval = 250ms;
    PoolHarness h(o);
    h.fakes.fail_connects(1);
    std::optional<Lease> got;
    std::thread waiter([&] { got.emplace(h.pool.acquire()); });
    ASSERT_TRUE(spin_until([&] { return h.fakes.connect_attempts() == 1 && h.pool.stats().waiting == 1; }));
    h.clock.advance(250ms);
    h.pool.maintain();  // the back-off is over: the head of the queue gets the retry
    waiter.join();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(h.fakes.connect_attempts(), 2);
}

TEST(BlockingPool, NonRetriableConnectErrorReachesTheCallerAsItIs) {
    PoolHarness h;
    h.fakes.fail_connects(-1, "password authentication failed for user \"app\"", /*fatally=*/true);
    EXPECT_THROW((void)h.pool.acquire(), AuthFailed);
    EXPECT_EQ(h.fakes.connect_attempts(), 1);
}

TEST(BlockingPool, ConnectDeadlineIsCappedByTheAcquireDeadline) {
    PoolOptions o = test_options();
    o.connect_timeout = 5s;
    PoolHarness h(o);
    (void)h.pool.acquire_for(1s);
    EXPECT_EQ(h.fakes.last_connect_deadline(), h.clock.now() + 1s);
}

TEST(BlockingPool, QueueFullWhenMaxWaitersIsReached) {
    PoolOptions o = test_options(1, 0);
    o.max_waiters = 0;
    PoolHarness h(o);
    Lease held = h.pool.acquire();
    EXPECT_THROW((void)h.pool.acquire(), QueueFull);
    EXPECT_EQ(h.pool.stats().queue_full, 1U);
}

TEST(BlockingPool, DeadIdleConnectionIsReplacedWithoutTheCallerSeeingIt) {
    PoolHarness h(test_options(1, 0));
    h.pool.acquire().release();
    h.fakes.kill_all();
    Lease lease = h.pool.acquire();
    EXPECT_TRUE(lease->is_alive());
    EXPECT_EQ(h.fakes.opens(), 2);
    EXPECT_EQ(h.fakes.closes(), 1);
    EXPECT_EQ(h.pool.stats().liveness_failures, 1U);
}

TEST(BlockingPool, EveryCheckoutRunsTheCheapLivenessCheck) {
    PoolHarness h;
    h.pool.acquire().release();
    const int before = h.fakes.alive_checks();
    h.pool.acquire().release();
    EXPECT_EQ(h.fakes.alive_checks(), before + 1);
    EXPECT_EQ(h.fakes.pings(), 0);
}

TEST(BlockingPool, ConnectionIdlePastThresholdIsPingedAtCheckout) {
    PoolOptions o = test_options();
    o.validate_after_idle = 30s;
    PoolHarness h(o);
    h.pool.acquire().release();
    h.clock.advance(30s);
    h.pool.acquire().release();
    EXPECT_EQ(h.fakes.pings(), 1);
}

TEST(BlockingPool, FailedPingIsReplacedWithoutTheCallerSeeingIt) {
    PoolOptions o = test_options(1, 0);
    o.validate_after_idle = 30s;
    PoolHarness h(o);
    {
        Lease lease = h.pool.acquire();
        lease.as<FakeResource>().fail_pings();
    }
    h.clock.advance(31s);
    Lease lease = h.pool.acquire();
    EXPECT_EQ(h.fakes.opens(), 2);
    EXPECT_EQ(h.pool.stats().liveness_failures, 1U);
}

TEST(BlockingPool, CleanReleaseResetsAndPools) {
    PoolHarness h;
    h.pool.acquire().release();
    EXPECT_EQ(h.fakes.resets(), 1);
    EXPECT_EQ(h.pool.stats().idle, 1U);
}

TEST(BlockingPool, DirtyConnectionIsClosedOnRelease) {
    PoolHarness h;
    {
        Lease lease = h.pool.acquire();
        lease.as<FakeResource>().make_dirty();
    }
    EXPECT_EQ(h.fakes.closes(), 1);
    EXPECT_EQ(h.pool.stats().idle, 0U);
    ASSERT_EQ(h.observer.releases.size(), 1U);
    EXPECT_TRUE(h.observer.releases[0].broken);
}

TEST(BlockingPool, BrokenLeaseIsClosedWithoutReset) {
    PoolHarness h;
    h.pool.acquire().release_broken();
    EXPECT_EQ(h.fakes.closes(), 1);
    EXPECT_EQ(h.fakes.resets(), 0);
}

TEST(BlockingPool, ExpiredConnectionIsClosedOnRelease) {
    PoolOptions o = test_options();
    o.max_lifetime = 30min;
    PoolHarness h(o);
    Lease lease = h.pool.acquire();
    h.clock.advance(30min);
    lease.release();
    EXPECT_EQ(h.fakes.closes(), 1);
}

TEST(BlockingPool, MaintainShrinksIdleConnectionsToMinIdle) {
    PoolOptions o = test_options(3, 0);
    o.idle_timeout = 10min;
    o.min_idle = 1;
    PoolHarness h(o);
    {
        std::vector<Lease> leases;
        for (int i = 0; i < 3; ++i) leases.push_back(h.pool.acquire());
    }
    h.clock.advance(10min);
    h.pool.maintain();
    EXPECT_EQ(h.fakes.closes(), 2);
    EXPECT_EQ(h.pool.stats().idle, 1U);
}

TEST(BlockingPool, MaintainWarmsUpToMinIdle) {
    PoolOptions o = test_options(4, 0);
    o.min_idle = 2;
    PoolHarness h(o);
    h.pool.maintain();
    EXPECT_EQ(h.fakes.opens(), 2);
    EXPECT_EQ(h.pool.stats().idle, 2U);
    (void)h.pool.acquire();
    EXPECT_EQ(h.fakes.opens(), 2);  // served from the warm connections
}

TEST(BlockingPool, LeakIsReportedOnceWithTheAcquireSite) {
    PoolOptions o = test_options();
    o.leak_threshold = 60s;
    PoolHarness h(o);
    const std::uint32_t line = std::source_location::current().line() + 1;
    Lease lease = h.pool.acquire();
    h.clock.advance(61s);
    h.pool.maintain();
    h.pool.maintain();
    ASSERT_EQ(h.observer.leaks.size(), 1U);
    EXPECT_EQ(h.observer.leaks[0].acquired_at.line(), line);
    EXPECT_NE(std::string(h.observer.leaks[0].acquired_at.file_name()).find("blocking_pool_test.cpp"),
              std::string::npos);
    EXPECT_EQ(h.pool.stats().leaks_suspected, 1U);
    ASSERT_EQ(h.pool.long_holders().size(), 1U);
    EXPECT_EQ(h.pool.long_holders()[0].acquired_at.line(), line);
}

TEST(BlockingPool, GenerationBumpClosesIdleNowAndLeasedOnRelease) {
    PoolHarness h;
    Lease idle = h.pool.acquire();
    Lease leased = h.pool.acquire();
    idle.release();
    EXPECT_EQ(h.pool.bump_generation(), 1U);
    EXPECT_EQ(h.fakes.closes(), 1);
    leased.release();
    EXPECT_EQ(h.fakes.closes(), 2);
    EXPECT_EQ(h.pool.stats().total, 0U);
}

TEST(BlockingPool, ReleaseHandsTheConnectionToABlockedWaiter) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    const int id = held.as<FakeResource>().id();
    int got_id = -1;
    std::thread waiter([&] { got_id = h.pool.acquire().as<FakeResource>().id(); });
    ASSERT_TRUE(spin_until([&] { return h.pool.stats().waiting == 1; }));
    held.release();
    waiter.join();
    EXPECT_EQ(got_id, id);
    EXPECT_EQ(h.fakes.opens(), 1);
}

TEST(BlockingPool, BlockedWaiterTimesOutWhenTheClockPassesItsDeadline) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    bool timed_out = false;
    std::thread waiter([&] {
        try {
            (void)h.pool.acquire_for(2s);
        } catch (const PoolTimeout&) {
            timed_out = true;
        }
    });
    ASSERT_TRUE(spin_until([&] { return h.pool.stats().waiting == 1; }));
    h.clock.advance(2s);
    h.pool.maintain();
    waiter.join();
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(h.pool.stats().timeouts, 1U);
}

TEST(BlockingPool, ShutdownWakesWaitersWithShutDown) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    bool shut_down = false;
    std::thread waiter([&] {
        try {
            (void)h.pool.acquire();
        } catch (const ShutDown&) {
            shut_down = true;
        }
    });
    ASSERT_TRUE(spin_until([&] { return h.pool.stats().waiting == 1; }));
    EXPECT_FALSE(h.pool.shutdown(0ms));  // `held` is still out
    waiter.join();
    EXPECT_TRUE(shut_down);
}

TEST(BlockingPool, ShutdownRejectsNewRequestsAndClosesIdle) {
    PoolHarness h;
    h.pool.acquire().release();
    EXPECT_TRUE(h.pool.shutdown(0ms));
    EXPECT_EQ(h.fakes.closes(), 1);
    EXPECT_THROW((void)h.pool.acquire(), ShutDown);
}

TEST(BlockingPool, ShutdownWaitsForLeasesToComeBack) {
    PoolHarness h(test_options(1, 0));
    Lease lease = h.pool.acquire();
    std::thread returner([&] {
        // Gives the lease back once shutdown has begun, i.e. once acquires are refused.
        EXPECT_TRUE(spin_until([&] {
            try {
                (void)h.pool.acquire_for(0ms);
            } catch (const ShutDown&) {
                return true;
            } catch (const PoolTimeout&) {
            }
            return false;
        }));
        lease.release();
    });
    const bool drained = h.pool.shutdown(60s);  // never reached: the lease comes back first
    returner.join();
    EXPECT_TRUE(drained);
    EXPECT_EQ(h.fakes.closes(), 1);
}

TEST(BlockingPool, LeaseOutlivingThePoolClosesOnRelease) {
    test::FakeResourceFactory fakes;
    Lease survivor;
    {
        BlockingPool pool(BlockingPoolSetup{.options = test_options(), .factory = fakes.factory()});
        survivor = pool.acquire();
        pool.acquire().release();
    }
    EXPECT_EQ(fakes.closes(), 1);  // the idle one, at destruction
    survivor.release();            // the pool is gone; its state lives until now
    EXPECT_EQ(fakes.closes(), 2);
    EXPECT_EQ(fakes.destroyed(), 2);
}

TEST(BlockingPool, LeaseOutlivingThePoolNoLongerCallsItsObserverOrClock) {
    test::FakeResourceFactory fakes;
    Lease survivor;
    auto observer = std::make_unique<RecordingObserver>();
    auto clock = std::make_unique<test::FakeClock>();
    {
        BlockingPool pool(BlockingPoolSetup{.options = test_options(),
                                            .factory = fakes.factory(),
                                            .observer = observer.get(),
                                            .clock = clock.get()});
        survivor = pool.acquire();
    }
    const std::size_t seen = observer->acquires.size() + observer->releases.size();
    observer.reset();  // their owner may destroy them with the pool (ASan would catch a late call)
    clock.reset();
    survivor.release();
    EXPECT_EQ(seen, 1U);
    EXPECT_EQ(fakes.closes(), 1);
}

TEST(BlockingPool, ObserverSeesAcquiresReleasesAndConnects) {
    PoolHarness h;
    h.pool.acquire().release();
    h.pool.acquire().release();
    ASSERT_EQ(h.observer.acquires.size(), 2U);
    EXPECT_EQ(h.observer.acquires[1].outcome, AcquireOutcome::Granted);
    EXPECT_EQ(h.observer.acquires[1].wait, std::chrono::nanoseconds::zero());
    EXPECT_EQ(h.observer.releases.size(), 2U);
    ASSERT_EQ(h.observer.connects.size(), 1U);
    EXPECT_TRUE(h.observer.connects[0].ok);
}

TEST(BlockingPool, ObserverSeesTheOutcomeOfAFailedAcquire) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    EXPECT_THROW((void)h.pool.acquire_for(0ms), PoolTimeout);
    ASSERT_EQ(h.observer.acquires.size(), 2U);
    EXPECT_EQ(h.observer.acquires[1].outcome, AcquireOutcome::Timeout);
}

TEST(BlockingPool, HeldDurationIsReportedOnRelease) {
    PoolHarness h;
    Lease lease = h.pool.acquire();
    h.clock.advance(3s);
    lease.release();
    ASSERT_EQ(h.observer.releases.size(), 1U);
    EXPECT_EQ(h.observer.releases[0].held, std::chrono::nanoseconds(3s));
}

TEST(BlockingPool, WaitHistogramCountsEverySuccessfulAcquireOnce) {
    PoolHarness h;
    h.pool.acquire().release();  // connects: counted by the driver
    h.pool.acquire().release();  // idle: counted as zero wait by the core
    std::uint64_t total = 0;
    for (const std::uint64_t n : h.pool.stats().acquire_wait) total += n;
    EXPECT_EQ(total, 2U);
}

TEST(BlockingPool, InvalidOptionsAreRejected) {
    PoolOptions o = test_options(2, 0);
    o.min_idle = 3;
    EXPECT_THROW(BlockingPool(BlockingPoolSetup{.options = o}), ConfigInvalid);
}

}  // namespace
}  // namespace ucm::pool::testing
