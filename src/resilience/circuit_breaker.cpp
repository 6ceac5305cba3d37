#include "resilience/circuit_breaker.hpp"

#include <algorithm>
#include <cmath>

namespace ucm {
namespace {
constexpr std::uint8_t kFailed = 1;
constexpr std::uint8_t kSlow = 2;
}  // namespace

const char* to_string(BreakerState state) noexcept {
    switch (state) {
        case BreakerState::Closed: return "closed";
        case BreakerState::Open: return "open";
        case BreakerState::HalfOpen: return "half_open";
        case BreakerState::ForcedOpen: return "forced_open";
        case BreakerState::Disabled: return "disabled";
    }
    return "unknown";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options)
    : options_(options),
      state_(options.enabled ? BreakerState::Closed : BreakerState::Disabled),
      window_(std::max<std::size_t>(options.window_size, 1), 0) {}

bool CircuitBreaker::try_acquire(TimePoint now) {
    switch (state_) {
        case BreakerState::Closed:
        case BreakerState::Disabled:
            return true;
        case BreakerState::ForcedOpen:
            return false;
        case BreakerState::Open:
            if (now < open_until_) return false;
            state_ = BreakerState::HalfOpen;
            clear_window();
            half_open_permits_ = options_.half_open_calls;
            half_open_done_ = 0;
            [[fallthrough]];
        case BreakerState::HalfOpen:
            if (half_open_permits_ == 0) return false;
            --half_open_permits_;
            return true;
    }
    return false;
}

void CircuitBreaker::on_success(Duration took, TimePoint now) { record(false, took, now); }
void CircuitBreaker::on_failure(Duration took, TimePoint now) { record(true, took, now); }

void CircuitBreaker::record(bool failed, Duration took, TimePoint now) {
    if (state_ != BreakerState::Closed && state_ != BreakerState::HalfOpen) return;
    const bool slow = took >= options_.slow_call_duration;
    const std::uint8_t outcome = static_cast<std::uint8_t>((failed ? kFailed : 0) | (slow ? kSlow : 0));
    if (count_ == window_.size()) {  // the oldest outcome leaves the window
        const std::uint8_t old = window_[next_];
        failures_ -= (old & kFailed) != 0 ? 1 : 0;
        slow_ -= (old & kSlow) != 0 ? 1 : 0;
    } else {
        ++count_;
    }
    window_[next_] = outcome;
    next_ = (next_ + 1) % window_.size();
    failures_ += failed ? 1 : 0;
    slow_ += slow ? 1 : 0;

    if (state_ == BreakerState::Closed) {
        if (count_ >= options_.minimum_calls && over_threshold(count_)) open(now);
        return;
    }
    // HalfOpen: judge once every probe has reported.
    if (++half_open_done_ < options_.half_open_calls) return;
    if (over_threshold(count_)) {
        open(now);
    } else {
        reset();
    }
}

bool CircuitBreaker::over_threshold(std::size_t calls) const {
    const double n = static_cast<double>(calls);
    return static_cast<double>(failures_) / n >= options_.failure_rate_threshold ||
           static_cast<double>(slow_) / n >= options_.slow_call_rate_threshold;
}

void CircuitBreaker::open(TimePoint now) {
    state_ = BreakerState::Open;
    const double factor = std::pow(options_.open_wait_multiplier, static_cast<double>(consecutive_opens_));
    const auto wait = std::min<double>(static_cast<double>(options_.open_wait.count()) * factor,
                                       static_cast<double>(options_.max_open_wait.count()));
    open_until_ = now + std::chrono::milliseconds(static_cast<std::int64_t>(wait));
    ++consecutive_opens_;
    clear_window();
}

void CircuitBreaker::clear_window() {
    std::fill(window_.begin(), window_.end(), std::uint8_t{0});
    next_ = count_ = failures_ = slow_ = 0;
}

void CircuitBreaker::reset() {
    state_ = options_.enabled ? BreakerState::Closed : BreakerState::Disabled;
    consecutive_opens_ = 0;
    half_open_permits_ = half_open_done_ = 0;
    clear_window();
}

void CircuitBreaker::force_open() {
    state_ = BreakerState::ForcedOpen;
    clear_window();
}

void CircuitBreaker::disable() {
    state_ = BreakerState::Disabled;
    clear_window();
}

}  // namespace ucm
