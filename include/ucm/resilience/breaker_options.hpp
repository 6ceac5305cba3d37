#pragma once

#include <chrono>
#include <cstddef>

namespace ucm {

/// A circuit breaker per endpoint, with resilience4j's semantics: a count-based sliding window of
/// the last calls; once it holds at least `minimum_calls`, a failure rate or slow-call rate at or
/// above its threshold opens the breaker; after a wait (growing on consecutive opens) it lets
/// `half_open_calls` probes through, whose outcomes close it or open it again.
struct BreakerOptions {
    bool enabled = true;                       ///< false: state Disabled, every call permitted
    std::size_t window_size = 20;              ///< calls in the sliding window; >= 1
    std::size_t minimum_calls = 10;            ///< calls before rates are judged; 1..window_size
    double failure_rate_threshold = 0.5;       ///< fraction of failed calls that opens; (0, 1]
    double slow_call_rate_threshold = 1.0;     ///< fraction of slow calls that opens; (0, 1]
    std::chrono::milliseconds slow_call_duration{5'000};  ///< a call this slow counts as slow; > 0
    std::chrono::milliseconds open_wait{1'000};           ///< first wait in Open; > 0
    double open_wait_multiplier = 2.0;         ///< each consecutive open multiplies the wait; >= 1
    std::chrono::milliseconds max_open_wait{30'000};      ///< cap of the wait; >= open_wait
    std::size_t half_open_calls = 3;           ///< probes permitted in HalfOpen; >= 1

    bool operator==(const BreakerOptions&) const = default;
};

}  // namespace ucm
