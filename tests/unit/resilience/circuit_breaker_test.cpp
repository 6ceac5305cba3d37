#include "resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace ucm {
namespace {

using namespace std::chrono_literals;
using TimePoint = CircuitBreaker::TimePoint;

constexpr TimePoint kT0{std::chrono::hours(1)};

BreakerOptions small() {
    return {.window_size = 4, .minimum_calls = 4, .failure_rate_threshold = 0.5,
            .slow_call_rate_threshold = 1.0, .slow_call_duration = 1s, .open_wait = 100ms,
            .open_wait_multiplier = 2.0, .max_open_wait = 300ms, .half_open_calls = 2};
}

void fail(CircuitBreaker& b, int n, TimePoint now) {
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(b.try_acquire(now));
        b.on_failure(1ms, now);
    }
}
void succeed(CircuitBreaker& b, int n, TimePoint now, std::chrono::milliseconds took = 1ms) {
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(b.try_acquire(now));
        b.on_success(took, now);
    }
}

TEST(CircuitBreaker, StaysClosedBelowTheMinimumNumberOfCalls) {
    CircuitBreaker b(small());
    fail(b, 3, kT0);
    EXPECT_EQ(b.state(), BreakerState::Closed);
}

TEST(CircuitBreaker, OpensAtTheFailureRateThreshold) {
    CircuitBreaker b(small());
    succeed(b, 2, kT0);
    fail(b, 2, kT0);
    EXPECT_EQ(b.state(), BreakerState::Open);
    EXPECT_FALSE(b.try_acquire(kT0 + 99ms));
    EXPECT_EQ(b.retry_at(), kT0 + 100ms);
}

TEST(CircuitBreaker, StaysClosedBelowTheFailureRateThreshold) {
    CircuitBreaker b(small());
    succeed(b, 3, kT0);
    fail(b, 1, kT0);
    EXPECT_EQ(b.state(), BreakerState::Closed);
}

TEST(CircuitBreaker, TheWindowSlidesOldOutcomesOut) {
    CircuitBreaker b(small());
    fail(b, 1, kT0);
    succeed(b, 3, kT0);  // window: F S S S -> 25 %
    succeed(b, 1, kT0);  // F leaves: S S S S
    EXPECT_EQ(b.window_failures(), 0u);
    fail(b, 1, kT0);     // S S S F -> 25 %
    EXPECT_EQ(b.state(), BreakerState::Closed);
}

TEST(CircuitBreaker, OpensAtTheSlowCallRateThreshold) {
    CircuitBreaker b(small());
    succeed(b, 4, kT0, 2s);
    EXPECT_EQ(b.state(), BreakerState::Open);
}

TEST(CircuitBreaker, TurnsHalfOpenAfterTheWaitAndPermitsOnlyTheProbes) {
    CircuitBreaker b(small());
    fail(b, 4, kT0);
    const auto later = kT0 + 100ms;
    EXPECT_TRUE(b.try_acquire(later));
    EXPECT_EQ(b.state(), BreakerState::HalfOpen);
    EXPECT_TRUE(b.try_acquire(later));
    EXPECT_FALSE(b.try_acquire(later)) << "more probes than half_open_calls";
}

TEST(CircuitBreaker, SuccessfulProbesClose) {
    CircuitBreaker b(small());
    fail(b, 4, kT0);
    succeed(b, 2, kT0 + 100ms);
    EXPECT_EQ(b.state(), BreakerState::Closed);
    EXPECT_EQ(b.consecutive_opens(), 0u);
}

TEST(CircuitBreaker, FailedProbesOpenAgainWithALongerWaitUpToTheCap) {
    CircuitBreaker b(small());
    fail(b, 4, kT0);
    auto t = kT0 + 100ms;
    fail(b, 2, t);
    EXPECT_EQ(b.state(), BreakerState::Open);
    EXPECT_EQ(b.retry_at(), t + 200ms);
    t += 200ms;
    fail(b, 2, t);
    EXPECT_EQ(b.retry_at(), t + 300ms) << "capped at max_open_wait";
}

TEST(CircuitBreaker, ForcedOpenRefusesUntilReleased) {
    CircuitBreaker b(small());
    b.force_open();
    EXPECT_FALSE(b.try_acquire(kT0 + 1h));
    b.release_override();
    EXPECT_TRUE(b.try_acquire(kT0));
}

TEST(CircuitBreaker, DisabledPermitsEverythingAndNeverOpens) {
    auto options = small();
    options.enabled = false;
    CircuitBreaker b(options);
    fail(b, 10, kT0);
    EXPECT_EQ(b.state(), BreakerState::Disabled);
}

TEST(CircuitBreaker, ResetClosesAnOpenBreaker) {
    CircuitBreaker b(small());
    fail(b, 4, kT0);
    b.reset();
    EXPECT_EQ(b.state(), BreakerState::Closed);
    EXPECT_TRUE(b.try_acquire(kT0));
}

}  // namespace
}  // namespace ucm
