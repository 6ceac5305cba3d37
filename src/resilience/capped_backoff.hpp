#pragma once
// The wait between retries of something that keeps failing: `first`, then doubling, capped at
// `max`; reset by a success. One definition for every retry loop in the library (the PostgreSQL
// topology's rounds, the Sentinel tracker's discovery, the Sentinel watcher's reconnects); the
// caller's own retry policy with jitter is RetryPolicy's.

#include <algorithm>
#include <chrono>

namespace ucm {

/// Thread safety: not thread-safe; the owner serialises calls.
class CappedBackoff {
public:
    CappedBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max) noexcept
        : first_(first), max_(std::max(first, max)) {}

    /// One more failure: the wait before the next attempt.
    std::chrono::milliseconds failed() noexcept {
        current_ = current_.count() == 0 ? first_ : std::min(current_ * 2, max_);
        return current_;
    }
    /// A success: the next failure waits `first` again.
    void reset() noexcept { current_ = std::chrono::milliseconds{0}; }
    /// The wait in force; 0 while not failing.
    [[nodiscard]] std::chrono::milliseconds current() const noexcept { return current_; }

private:
    std::chrono::milliseconds first_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds current_{0};
};

}  // namespace ucm
