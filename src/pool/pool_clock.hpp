#pragma once
// The pool's time source. Bookkeeping on the hot path (idle since, leased at, lifetimes, deadlines)
// uses CLOCK_MONOTONIC_COARSE: about 6 ns a read here against about 25-30 ns for steady_clock
// (ENVIRONMENT.md gotcha 12), with a 4 ms tick, which is plenty for timeouts measured in seconds.
// Both clocks count from the same CLOCK_MONOTONIC epoch, so coarse readings, steady_clock
// deadlines and user deadlines compare directly; a coarse reading lags by at most a few ms.

#include <chrono>
#include <ctime>

namespace ucm::pool {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

/// A replaceable time source for the pool drivers; tests pass a FakeClock and never sleep.
///
/// Thread safety: implementations must be safe to share (now() is called from many threads).
class Clock {
  public:
    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    virtual ~Clock() = default;

    [[nodiscard]] virtual TimePoint now() const noexcept = 0;
};

/// CLOCK_MONOTONIC_COARSE as a steady_clock time point.
inline TimePoint coarse_now() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return TimePoint(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

/// `a - b`, or zero when `b` is later (coarse and precise readings may disagree by a tick).
inline Duration elapsed(TimePoint a, TimePoint b) noexcept { return a > b ? a - b : Duration::zero(); }

}  // namespace ucm::pool
