#pragma once
// One circuit breaker per endpoint, made on first use, for connectors whose endpoints are not
// known in advance (Redis: the master and replicas move with Sentinel). The PostgreSQL topology
// keeps its breakers beside its hosts instead; both use CircuitBreaker's rules.

#include "resilience/circuit_breaker.hpp"

#include <ucm/core/deadline.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ucm {

/// Thread safety: safe to share.
class BreakerSet {
public:
    explicit BreakerSet(BreakerOptions options) : options_(options) {}

    /// May a connect to `endpoint` go through now? Every true must be followed by one record().
    [[nodiscard]] bool try_acquire(const std::string& endpoint);
    void record(const std::string& endpoint, bool ok, SteadyClock::duration took);

    struct View {
        BreakerState state = BreakerState::Closed;
        std::optional<std::chrono::milliseconds> retry_in{};  ///< Open: time until the next trial
    };
    [[nodiscard]] View view(const std::string& endpoint) const;

private:
    CircuitBreaker& of(const std::string& endpoint);  // under mutex_

    BreakerOptions options_;
    mutable std::mutex mutex_;
    std::map<std::string, CircuitBreaker> breakers_;
};

}  // namespace ucm
