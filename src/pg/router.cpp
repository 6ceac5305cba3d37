#include "pg/router.hpp"

#include <limits>
#include <vector>

namespace ucm::pg {
namespace {

struct PrimaryChoice {
    std::optional<std::size_t> host;   // usable (breaker permits)
    bool any = false;                  // a writable primary exists at all
    bool split_brain = false;
};

PrimaryChoice choose_primary(std::span<const HostView> hosts) {
    PrimaryChoice choice;
    std::optional<std::size_t> best;
    std::size_t writable = 0;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const auto& h = hosts[i];
        if (!h.reachable || h.role != HostRole::Primary || !h.writable) continue;
        ++writable;
        if (!best || h.timeline > hosts[*best].timeline) best = i;
    }
    choice.any = best.has_value();
    choice.split_brain = writable > 1;
    if (best && hosts[*best].breaker_permits) choice.host = best;
    return choice;
}

}  // namespace

bool within_lag(const HostView& host, const RoutePolicy& policy) {
    if (policy.max_lag_bytes && host.lag_bytes && *host.lag_bytes > *policy.max_lag_bytes) return false;
    if (policy.max_lag_time && host.lag_time && *host.lag_time > *policy.max_lag_time) return false;
    return true;
}

RouteDecision route(ConnectionMode mode, std::span<const HostView> hosts, const RoutePolicy& policy,
                    std::size_t& cursor) {
    const PrimaryChoice primary = choose_primary(hosts);
    RouteDecision decision{.split_brain = primary.split_brain};
    if (mode != ConnectionMode::ReadOnly) {
        if (primary.host) {
            decision.kind = RouteDecision::Kind::Host;
            decision.host = *primary.host;
        } else {
            decision.kind = primary.any ? RouteDecision::Kind::CircuitOpen : RouteDecision::Kind::WaitForPrimary;
        }
        return decision;
    }
    std::vector<std::size_t> candidates;
    bool blocked_by_breaker = false;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const auto& h = hosts[i];
        if (!h.reachable || h.role != HostRole::Standby || !within_lag(h, policy)) continue;
        if (!h.breaker_permits) {
            blocked_by_breaker = true;
            continue;
        }
        candidates.push_back(i);
    }
    if (!candidates.empty()) {
        decision.kind = RouteDecision::Kind::Host;
        if (policy.read_policy == ReadPolicy::Nearest) {
            auto rtt = [&](std::size_t i) {
                return hosts[i].rtt.value_or(std::chrono::microseconds{std::numeric_limits<std::int64_t>::max()});
            };
            decision.host = candidates.front();
            for (std::size_t i : candidates) {
                if (rtt(i) < rtt(decision.host)) decision.host = i;
            }
        } else {
            decision.host = candidates[cursor++ % candidates.size()];
        }
        return decision;
    }
    if (policy.fallback == ReadOnlyFallback::Allow) {
        if (primary.host) {
            decision.kind = RouteDecision::Kind::Host;
            decision.host = *primary.host;
            return decision;
        }
        if (primary.any) blocked_by_breaker = true;
    } else {
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const auto& h = hosts[i];
            if (h.reachable || h.role != HostRole::Standby) continue;
            if (!h.breaker_permits) {
                blocked_by_breaker = true;
                continue;
            }
            decision.kind = RouteDecision::Kind::Host;
            decision.host = i;
            return decision;
        }
    }
    decision.kind = blocked_by_breaker ? RouteDecision::Kind::CircuitOpen
                    : policy.fallback == ReadOnlyFallback::Allow ? RouteDecision::Kind::WaitForPrimary
                                                                 : RouteDecision::Kind::NoCandidate;
    return decision;
}

}  // namespace ucm::pg
