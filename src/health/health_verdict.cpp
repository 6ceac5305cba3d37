#include "health/health_verdict.hpp"

#include <fmt/format.h>

namespace ucm {

void degrade(HealthReport& report, std::string why) {
    if (report.status == HealthStatus::Healthy) report.status = HealthStatus::Degraded;
    report.reasons.push_back(std::move(why));
}

void mark_unhealthy(HealthReport& report, std::string why) {
    report.status = HealthStatus::Unhealthy;
    report.reasons.push_back(std::move(why));
}

void judge_breaker_and_leaks(HealthReport& report, const EndpointHealth& e, std::string_view prefix) {
    if (e.breaker == "open" || e.breaker == "forced_open") {
        degrade(report, fmt::format("{}{}: circuit breaker {}", prefix, e.endpoint, e.breaker));
    }
    for (const auto& p : e.pools) {
        if (!p.long_holders.empty()) {
            degrade(report, fmt::format("{}{}: {} lease(s) of the {} pool held past leak_threshold", prefix,
                                        e.endpoint, p.long_holders.size(), to_string(p.access)));
        }
    }
}

}  // namespace ucm
