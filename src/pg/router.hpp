#pragma once
// The router's choice as a pure function of what the topology knows (STYLE B8: "the router's
// choice given a topology" is unit-tested). The HA manager feeds it; it does no I/O.

#include <ucm/core/modes.hpp>
#include <ucm/core/pg_options.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ucm::pg {

enum class HostRole : std::uint8_t { Unknown, Primary, Standby };

/// One host as the last probe saw it.
struct HostView {
    HostRole role = HostRole::Unknown;
    bool reachable = false;           ///< the last probe (or connect) got through; the role is the last one known
    bool writable = false;            ///< primary and not transaction_read_only (a fenced primary is not)
    std::int64_t timeline = 0;        ///< from pg_walfile_name; higher wins a split brain
    std::optional<std::chrono::microseconds> rtt{};
    std::optional<std::uint64_t> lag_bytes{};          ///< standbys: WAL bytes behind; 0 = caught up
    std::optional<std::chrono::milliseconds> lag_time{};  ///< standbys: replay delay
    bool breaker_permits = true;      ///< false while its circuit breaker is open
};

struct RoutePolicy {
    ReadPolicy read_policy = ReadPolicy::RoundRobin;
    ReadOnlyFallback fallback = ReadOnlyFallback::Allow;
    std::optional<std::chrono::milliseconds> max_lag_time{std::chrono::seconds{30}};
    std::optional<std::uint64_t> max_lag_bytes{16ULL * 1024 * 1024};
};

/// What the router decided.
struct RouteDecision {
    enum class Kind : std::uint8_t {
        Host,            ///< use `host`
        WaitForPrimary,  ///< no writable primary known: wait (a failover is a pause) and rediscover
        CircuitOpen,     ///< candidates exist, but every one's breaker is open
        NoCandidate,     ///< reads with fallback forbidden and no standby qualifies
    };
    Kind kind = Kind::NoCandidate;
    std::size_t host = 0;
    bool split_brain = false;  ///< more than one writable primary was seen
};

/// Chooses a host for `mode`. ReadWrite and Admin go to the writable primary (the highest timeline
/// if several claim it); ReadOnly to a reachable standby within the lag limits by the policy, else
/// to the primary if fallback is allowed, else (fallback forbidden) to a standby the last probe
/// could not reach whose breaker still permits: its failures are what open that breaker.
/// `cursor` advances for round robin.
RouteDecision route(ConnectionMode mode, std::span<const HostView> hosts, const RoutePolicy& policy,
                    std::size_t& cursor);

/// Whether a standby is within the lag limits (lag 0 when it has replayed all it received).
bool within_lag(const HostView& host, const RoutePolicy& policy);

}  // namespace ucm::pg
