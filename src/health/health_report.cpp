#include <ucm/health/health_report.hpp>

#include <nlohmann/json.hpp>

namespace ucm {
namespace {

nlohmann::json stats_json(const pool::PoolStats& s) {
    return {{"total", s.total},         {"idle", s.idle},
            {"in_use", s.in_use},       {"waiting", s.waiting},
            {"overflow_in_use", s.overflow_in_use},
            {"generation", s.generation},
            {"created", s.created},     {"closed", s.closed},
            {"timeouts", s.timeouts},   {"queue_full", s.queue_full},
            {"liveness_failures", s.liveness_failures},
            {"leaks_suspected", s.leaks_suspected},
            {"connect_failures", s.connect_failures}};
}

nlohmann::json endpoint_json(const EndpointHealth& e) {
    nlohmann::json ej{{"endpoint", e.endpoint},   {"role", e.role},
                      {"reachable", e.reachable}, {"writable", e.writable},
                      {"write_target", e.write_target}, {"timeline", e.timeline},
                      {"breaker", e.breaker},     {"generation", e.generation},
                      {"connect_attempts", e.connect_attempts}};
    if (e.rtt) ej["rtt_us"] = e.rtt->count();
    if (e.lag_bytes) ej["lag_bytes"] = *e.lag_bytes;
    if (e.lag) ej["lag_ms"] = e.lag->count();
    if (e.breaker_retry_in) ej["breaker_retry_in_ms"] = e.breaker_retry_in->count();
    if (!e.error.empty()) ej["error"] = e.error;
    auto& pools = ej["pools"] = nlohmann::json::array();
    for (const auto& p : e.pools) {
        nlohmann::json pj{{"access", std::string(to_string(p.access))}, {"stats", stats_json(p.stats)}};
        auto& holders = pj["long_holders"] = nlohmann::json::array();
        for (const auto& h : p.long_holders) {
            holders.push_back({{"slot", h.slot},
                               {"acquired_at", std::string(h.acquired_at.file_name()) + ":" +
                                                   std::to_string(h.acquired_at.line())},
                               {"held_ms", std::chrono::duration_cast<std::chrono::milliseconds>(h.held).count()}});
        }
        pools.push_back(std::move(pj));
    }
    return ej;
}

nlohmann::json redis_json(const RedisHealth& r) {
    nlohmann::json rj{{"sentinel", r.sentinel}, {"master", r.master}, {"fenced", r.fenced},
                      {"generation", r.generation}};
    if (r.sentinel) {
        rj["master_name"] = r.master_name;
        if (r.quorum_ok) rj["quorum_ok"] = *r.quorum_ok;
        rj["quorum"] = r.quorum;
        auto& sentinels = rj["sentinels"] = nlohmann::json::array();
        for (const auto& s : r.sentinels) {
            nlohmann::json sj{{"endpoint", s.endpoint}, {"reachable", s.reachable}};
            if (s.rtt) sj["rtt_us"] = s.rtt->count();
            if (!s.error.empty()) sj["error"] = s.error;
            sentinels.push_back(std::move(sj));
        }
    }
    auto& eps = rj["endpoints"] = nlohmann::json::array();
    for (const auto& e : r.endpoints) eps.push_back(endpoint_json(e));
    return rj;
}

}  // namespace

const char* to_string(HealthStatus status) noexcept {
    switch (status) {
        case HealthStatus::Healthy: return "healthy";
        case HealthStatus::Degraded: return "degraded";
        case HealthStatus::Unhealthy: return "unhealthy";
    }
    return "unknown";
}

std::string HealthReport::to_json() const {
    nlohmann::json out{{"status", to_string(status)}, {"reasons", reasons}};
    auto& eps = out["endpoints"] = nlohmann::json::array();
    for (const auto& e : endpoints) eps.push_back(endpoint_json(e));
    if (redis) out["redis"] = redis_json(*redis);
    return out.dump(2);
}

}  // namespace ucm
