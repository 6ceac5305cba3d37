#pragma once
// How a health report's verdict is lowered, shared by the PostgreSQL and Redis parts: a reason is
// always recorded, and a status only ever gets worse.

#include <ucm/health/health_report.hpp>

#include <string>
#include <string_view>

namespace ucm {

/// Healthy becomes Degraded (a worse status stays); `why` joins the reasons.
void degrade(HealthReport& report, std::string why);
/// The status becomes Unhealthy; `why` joins the reasons.
void mark_unhealthy(HealthReport& report, std::string why);
/// What any endpoint's own state degrades, whatever the server: an open breaker, leases held past
/// leak_threshold. `prefix` starts each reason (e.g. "redis: ").
void judge_breaker_and_leaks(HealthReport& report, const EndpointHealth& endpoint, std::string_view prefix = {});

}  // namespace ucm
