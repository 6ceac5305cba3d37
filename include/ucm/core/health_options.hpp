#pragma once

#include <chrono>

namespace ucm {

/// The background health monitor (TOML table `[health]`).
///
/// Thread safety: a value type; const access is safe to share.
struct HealthOptions {
    /// Time between probe rounds of every endpoint (DESIGN's health_check_interval); > 0.
    /// Recovery never waits for this: failures trigger an immediate rediscovery.
    std::chrono::milliseconds interval{10'000};
    /// Deadline of one probe of one endpoint, so a stalled host never delays the others; > 0.
    std::chrono::milliseconds probe_timeout{5'000};

    bool operator==(const HealthOptions&) const = default;
};

}  // namespace ucm
