#include "resilience/breaker_set.hpp"

namespace ucm {

CircuitBreaker& BreakerSet::of(const std::string& endpoint) {
    auto it = breakers_.find(endpoint);
    if (it == breakers_.end()) it = breakers_.emplace(endpoint, CircuitBreaker(options_)).first;
    return it->second;
}

bool BreakerSet::try_acquire(const std::string& endpoint) {
    std::lock_guard lock(mutex_);
    return of(endpoint).try_acquire(SteadyClock::now());
}

void BreakerSet::record(const std::string& endpoint, bool ok, SteadyClock::duration took) {
    std::lock_guard lock(mutex_);
    CircuitBreaker& breaker = of(endpoint);
    if (ok) {
        breaker.on_success(took, SteadyClock::now());
    } else {
        breaker.on_failure(took, SteadyClock::now());
    }
}

BreakerSet::View BreakerSet::view(const std::string& endpoint) const {
    std::lock_guard lock(mutex_);
    const auto it = breakers_.find(endpoint);
    if (it == breakers_.end()) return {.state = options_.enabled ? BreakerState::Closed : BreakerState::Disabled};
    View v{.state = it->second.state()};
    if (v.state == BreakerState::Open) v.retry_in = breaker_retry_in(it->second.retry_at(), SteadyClock::now());
    return v;
}

}  // namespace ucm
