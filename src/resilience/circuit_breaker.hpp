#pragma once
// The circuit breaker as a sans-io state machine (STYLE B6): every call takes `now`; it never
// reads a clock, locks or throws. The owner serialises calls (one mutex per endpoint).

#include <ucm/resilience/breaker_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace ucm {

enum class BreakerState : std::uint8_t { Closed, Open, HalfOpen, ForcedOpen, Disabled };

const char* to_string(BreakerState state) noexcept;

/// For reports: how long until an Open breaker lets its next trial through (0 once due).
[[nodiscard]] inline std::chrono::milliseconds breaker_retry_in(std::chrono::steady_clock::time_point retry_at,
                                                                std::chrono::steady_clock::time_point now) {
    return std::chrono::ceil<std::chrono::milliseconds>(std::max(retry_at - now, std::chrono::steady_clock::duration{}));
}

/// Thread safety: not thread-safe; the owner serialises calls.
class CircuitBreaker {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::steady_clock::duration;

    explicit CircuitBreaker(BreakerOptions options);

    /// May a call go through now? Open turns HalfOpen once its wait is over; HalfOpen permits
    /// `half_open_calls` calls until their outcomes are in. Every permitted call must be followed
    /// by exactly one on_success() or on_failure().
    [[nodiscard]] bool try_acquire(TimePoint now);
    void on_success(Duration took, TimePoint now);
    void on_failure(Duration took, TimePoint now);

    /// Back to Closed with an empty window (e.g. the endpoint changed role).
    void reset();
    void force_open();
    /// Leaves ForcedOpen or Disabled for Closed.
    void release_override() { reset(); }
    void disable();

    [[nodiscard]] BreakerState state() const noexcept { return state_; }
    /// When an Open breaker lets the next probe through.
    [[nodiscard]] TimePoint retry_at() const noexcept { return open_until_; }
    /// Consecutive transitions to Open without a close in between.
    [[nodiscard]] std::uint32_t consecutive_opens() const noexcept { return consecutive_opens_; }
    /// Calls currently in the window, and how many of them failed / were slow.
    [[nodiscard]] std::size_t window_calls() const noexcept { return count_; }
    [[nodiscard]] std::size_t window_failures() const noexcept { return failures_; }
    [[nodiscard]] std::size_t window_slow() const noexcept { return slow_; }

private:
    void record(bool failed, Duration took, TimePoint now);
    void open(TimePoint now);
    void clear_window();
    bool over_threshold(std::size_t calls) const;

    BreakerOptions options_;
    BreakerState state_;
    // Ring buffer of outcomes: bit 0 = failed, bit 1 = slow.
    std::vector<std::uint8_t> window_;
    std::size_t next_ = 0;
    std::size_t count_ = 0;
    std::size_t failures_ = 0;
    std::size_t slow_ = 0;
    TimePoint open_until_{};
    std::uint32_t consecutive_opens_ = 0;
    std::size_t half_open_permits_ = 0;
    std::size_t half_open_done_ = 0;
};

}  // namespace ucm
