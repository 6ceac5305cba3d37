#pragma once
// A clock that moves only when a test says so (STYLE B6), for the pool drivers and anything else
// that takes a ucm::pool::Clock. Tests advance it instead of sleeping.

#include "pool/pool_clock.hpp"

#include <atomic>
#include <chrono>

namespace ucm::test {

/// Thread safety: safe to share (one atomic).
class FakeClock final : public ucm::pool::Clock {
  public:
    using TimePoint = ucm::pool::TimePoint;
    using Duration = ucm::pool::Duration;

    /// Starts far from the epoch, so that "now minus a lifetime" never underflows.
    static constexpr TimePoint kStart{std::chrono::hours(1000)};

    explicit FakeClock(TimePoint start = kStart) : ticks_(start.time_since_epoch().count()) {}

    [[nodiscard]] TimePoint now() const noexcept override {
        return TimePoint(Duration(ticks_.load(std::memory_order_acquire)));
    }
    void advance(Duration by) noexcept { ticks_.fetch_add(by.count(), std::memory_order_acq_rel); }
    void set(TimePoint to) noexcept {
        ticks_.store(to.time_since_epoch().count(), std::memory_order_release);
    }

  private:
    std::atomic<Duration::rep> ticks_;
};

}  // namespace ucm::test
