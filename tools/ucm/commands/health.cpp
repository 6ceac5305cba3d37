// `ucm health --config FILE [--json]`: loads the configuration, builds a manager, probes every
// endpoint once (health_check()) and prints the report, as JSON or as a table for people.
//
// Exit code: 0 healthy, 1 degraded, 2 unhealthy (also when the check itself could not run),
// 3 configuration error (the message names the field and never contains a secret).
#include "commands/commands.hpp"

#include <ucm/core/config.hpp>
#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>
#include <ucm/health/health_report.hpp>
#include <ucm/manager/unified_connection_manager.hpp>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ucm::cli {
namespace {

constexpr int kExitHealthy = 0;
constexpr int kExitDegraded = 1;
constexpr int kExitUnhealthy = 2;
constexpr int kExitConfig = 3;

struct HealthArgs {
    std::string file;
    bool json = false;
};

int exit_code_for(HealthStatus status) {
    switch (status) {
        case HealthStatus::Healthy:
            return kExitHealthy;
        case HealthStatus::Degraded:
            return kExitDegraded;
        case HealthStatus::Unhealthy:
            return kExitUnhealthy;
    }
    return kExitUnhealthy;
}

std::string rtt_text(const EndpointHealth& e) {
    if (!e.rtt) return "-";
    return fmt::format("{:.2f}ms", static_cast<double>(e.rtt->count()) / 1000.0);
}

std::string lag_text(const EndpointHealth& e) {
    if (!e.lag_bytes && !e.lag) return "-";
    const std::string bytes = e.lag_bytes ? fmt::format("{}B", *e.lag_bytes) : "?B";
    const std::string time = e.lag ? fmt::format("{}ms", e.lag->count()) : "?ms";
    return bytes + "/" + time;
}

std::string breaker_text(const EndpointHealth& e) {
    if (!e.breaker_retry_in) return e.breaker;
    return fmt::format("{} (retry in {}ms)", e.breaker, e.breaker_retry_in->count());
}

// libpq's messages span lines ("Connection refused\n\tIs the server running ..."): one line each.
std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\t' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space && c != ' ') out += ' ';
        space = false;
        out += c;
    }
    return out;
}

void print_pools(const std::vector<EndpointHealth>& endpoints) {
    bool any_pool = false;
    for (const auto& e : endpoints) {
        for (const auto& p : e.pools) {
            if (!any_pool) fmt::print("\npools (total/idle/in_use/waiting):\n");
            any_pool = true;
            fmt::print("  {:<22} {:<10} {}/{}/{}/{}\n", e.endpoint, to_string(p.access), p.stats.total,
                       p.stats.idle, p.stats.in_use, p.stats.waiting);
        }
    }
}

void print_redis(const RedisHealth& r) {
    fmt::print("\nredis{}: master {}{}, generation {}\n",
               r.sentinel ? fmt::format(" (Sentinel '{}')", r.master_name) : std::string(),
               r.master.empty() ? std::string("unknown") : r.master, r.fenced ? " (failover in progress)" : "",
               r.generation);
    fmt::print("{:<22} {:<8} {:<5} {:>9}  {:<26}\n", "endpoint", "role", "reach", "rtt", "breaker");
    for (const auto& e : r.endpoints) {
        fmt::print("{:<22} {:<8} {:<5} {:>9}  {:<26}\n", e.endpoint, e.role, e.reachable ? "yes" : "no", rtt_text(e),
                   breaker_text(e));
    }
    for (const auto& s : r.sentinels) {
        fmt::print("{:<22} {:<8} {:<5} {:>9}  {}\n", s.endpoint, "sentinel", s.reachable ? "yes" : "no",
                   s.rtt ? fmt::format("{:.2f}ms", static_cast<double>(s.rtt->count()) / 1000.0) : std::string("-"), one_line(s.error));
    }
    if (r.sentinel) {
        fmt::print("quorum: {}\n", r.quorum_ok ? one_line(r.quorum) : std::string("no sentinel answered"));
    }
    print_pools(r.endpoints);
}

void print_table(const HealthReport& report) {
    fmt::print("status: {}\n", to_string(report.status));
    for (const auto& reason : report.reasons) fmt::print("  - {}\n", one_line(reason));
    fmt::print("\n{:<22} {:<8} {:<5} {:<5} {:<6} {:>3} {:>9} {:>14}  {:<26} {:>4} {:>8}\n", "endpoint",
               "role", "reach", "write", "target", "tl", "rtt", "lag B/ms", "breaker", "gen", "connects");
    for (const auto& e : report.endpoints) {
        fmt::print("{:<22} {:<8} {:<5} {:<5} {:<6} {:>3} {:>9} {:>14}  {:<26} {:>4} {:>8}\n", e.endpoint,
                   e.role, e.reachable ? "yes" : "no", e.writable ? "yes" : "no",
                   e.write_target ? "yes" : "-",
                   e.timeline == 0 ? std::string("-") : std::to_string(e.timeline), rtt_text(e), lag_text(e),
                   breaker_text(e), e.generation, e.connect_attempts);
    }
    print_pools(report.endpoints);
    if (report.redis) print_redis(*report.redis);
}

int run_health(const HealthArgs& args) {
    std::optional<UnifiedConnectionManager> manager;
    try {
        manager.emplace(load_config(args.file));
    } catch (const ConfigInvalid& e) {
        // The message names the field (or variable) and never quotes a secret.
        std::cerr << "ucm: " << e.what() << " [" << to_string(e.code()) << "]\n";
        return kExitConfig;
    }
    int rc = kExitUnhealthy;
    try {
        const HealthReport report = manager->health_check();
        if (args.json) {
            std::cout << report.to_json() << "\n";
        } else {
            print_table(report);
        }
        std::cout.flush();
        rc = exit_code_for(report.status);
    } catch (const Error& e) {
        std::cerr << "ucm: health check failed: " << e.what() << " [" << to_string(e.code()) << "]\n";
    }
    manager->shutdown(std::chrono::seconds{1});
    return rc;
}

}  // namespace

void register_health_command(CLI::App& app) {
    auto args = std::make_shared<HealthArgs>();
    auto* cmd = app.add_subcommand("health",
                                   "Probe every endpoint of a configuration once and print the health report "
                                   "(exit 0 healthy, 1 degraded, 2 unhealthy, 3 config error)");
    cmd->add_option("--config", args->file, "TOML configuration file")->required();
    cmd->add_flag("--json", args->json, "Print the report as JSON (HealthReport::to_json())");
    cmd->callback([args] {
        if (int rc = run_health(*args); rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace ucm::cli
