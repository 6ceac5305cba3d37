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

/// One Redis Sentinel as the watcher sees it.
struct SentinelHealth {
    std::string endpoint{};  ///< "host:port"
    bool reachable = false;  ///< subscribed and answering its polls
    std::optional<std::chrono::microseconds> rtt{};  ///< the last poll's round trip
    std::string error{};     ///< why it is unreachable; never a secret
};

/// Redis: the master ucm writes to, the replicas it may read from and, under Sentinel, each
/// sentinel and the quorum.
struct RedisHealth {
    bool sentinel = false;           ///< Sentinel-managed (else one standalone server)
    std::string master_name{};       ///< the name the sentinels monitor
    std::string master{};            ///< "host:port" of the master in force; empty while unknown
    bool fenced = false;             ///< a Sentinel failover is in progress: master writes wait
    std::uint64_t generation = 0;    ///< bumped at every master switch
    std::optional<bool> quorum_ok{};  ///< `SENTINEL CKQUORUM` of a reachable sentinel; unset: none answered
    std::string quorum{};            ///< its message
    /// The master (role "master") and the replicas (role "replica"): reachability, breaker, pools.
    std::vector<EndpointHealth> endpoints{};
    std::vector<SentinelHealth> sentinels{};
};

/// What `health_check()` returns: an overall verdict with reasons, and every endpoint.
///
/// Thread safety: a value type; const access is safe to share.
struct HealthReport {
    HealthStatus status = HealthStatus::Healthy;
    std::vector<std::string> reasons{};  ///< why the status is not Healthy; empty when it is
    std::vector<EndpointHealth> endpoints{};  ///< PostgreSQL
    std::optional<RedisHealth> redis{};        ///< unset: no Redis configured

    /// The report as a JSON object (for `ucm health --json` and HTTP endpoints).
    [[nodiscard]] UCM_EXPORT std::string to_json() const;
};

}  // namespace ucm
