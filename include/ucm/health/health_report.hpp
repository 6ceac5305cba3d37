#pragma once

#include <ucm/core/modes.hpp>
#include <ucm/export.hpp>
#include <ucm/pool/pool_stats.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ucm {

enum class HealthStatus : std::uint8_t { Healthy, Degraded, Unhealthy };

[[nodiscard]] UCM_EXPORT const char* to_string(HealthStatus status) noexcept;

/// One pool of one endpoint: which access it serves and its counters.
struct PoolHealth {
    ConnectionMode access = ConnectionMode::ReadWrite;  ///< the ConnectionMode this pool serves
    pool::PoolStats stats{};                            ///< gauges and counters
    std::vector<pool::LeakReport> long_holders{};       ///< leases held past leak_threshold
};

/// One server as the last probe saw it.
struct EndpointHealth {
    std::string endpoint{};        ///< "host:port"
    std::string role{};            ///< "primary", "standby" or "unknown" (the last role seen)
    bool reachable = false;        ///< the last probe connected and got an answer
    bool writable = false;         ///< a primary that is not read-only
    bool write_target = false;     ///< the primary writes go to
    std::int64_t timeline = 0;     ///< 0 when unknown
    std::optional<std::chrono::microseconds> rtt{};  ///< round trip of the probe query
    std::optional<std::uint64_t> lag_bytes{};         ///< standbys: WAL bytes behind the primary
    std::optional<std::chrono::milliseconds> lag{};   ///< standbys: replay delay (0 when caught up)
    std::string breaker{};         ///< "closed", "open", "half_open", "forced_open" or "disabled"
    std::optional<std::chrono::milliseconds> breaker_retry_in{};  ///< open: time until the next trial
    std::uint64_t generation = 0;  ///< bumped on every role change
    std::uint64_t connect_attempts = 0;  ///< by the pools and the prober since the manager started
    std::string error{};           ///< why it is unreachable; never a secret
    std::vector<PoolHealth> pools{};
};

/// What `health_check()` returns: an overall verdict with reasons, and every endpoint.
///
/// Thread safety: a value type; const access is safe to share.
struct HealthReport {
    HealthStatus status = HealthStatus::Healthy;
    std::vector<std::string> reasons{};  ///< why the status is not Healthy; empty when it is
    std::vector<EndpointHealth> endpoints{};

    /// The report as a JSON object (for `ucm health --json` and HTTP endpoints).
    [[nodiscard]] UCM_EXPORT std::string to_json() const;
};

}  // namespace ucm
