#include <ucm/manager/unified_connection_manager.hpp>

#include "core/fork_guard.hpp"
#include "core/log.hpp"
#include "core/periodic_task.hpp"
#include "manager/manager_pools.hpp"
#include "pg/conninfo.hpp"
#include "pg/pg_wait_poll.hpp"

#include <ucm/core/config_load.hpp>
#include <ucm/core/config_validate.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>

namespace ucm {
namespace {

constexpr std::chrono::milliseconds kUpkeepInterval{1'000};

std::string application_name_for(const Config& config) {
    if (!config.postgres.application_name.empty()) return config.postgres.application_name;
    return fmt::format("ucm/{}/{}", to_string(config.manager.mode), config.manager.id);
}

// A connection outside the pools, for probes and checks that must not take a lease from a caller.
pg::PgConnection open_direct(const Config& config, const Endpoint& endpoint, const std::string& application_name,
                             Deadline deadline) {
    return pg::connect_blocking(
        pg::make_connect_spec(config.postgres, endpoint,
                              {.application_name = application_name, .role = config.postgres.roles.read_write},
                              deadline),
        deadline);
}

Config prepared(Config config) {
    resolve_secrets(config, process_env());
    apply_mode_preset(config);
    validate(config);
    return config;
}

}  // namespace

class UnifiedConnectionManager::Impl {
public:
    explicit Impl(Config cfg)
        : config(prepared(std::move(cfg))),
          application_name(application_name_for(config)),
          allowed(config.manager.allowed_access.value_or(mode_preset(config.manager.mode).allowed_access)),
          owner_pid(::getpid()),
          owner_fork_generation(fork_generation()),
          primary(config, config.postgres.hosts.at(0), application_name) {
        check_max_connections();
        upkeep.start(kUpkeepInterval, [this] {
            for (const auto& p : primary.all()) p.pool->maintain();
        });
    }
    ~Impl() { shutdown(std::chrono::milliseconds{0}); }

    pg::Connection acquire(ConnectionMode mode, std::source_location site) {
        if (fork_generation() != owner_fork_generation) {
            throw ShutDown({.message = fmt::format("manager '{}' was created in process {} and cannot be used after "
                                                   "fork(): create a new manager in the child",
                                                   config.manager.id, owner_pid)});
        }
        if (shut_down.load(std::memory_order_acquire)) {
            throw ShutDown({.message = fmt::format("manager '{}' is shut down", config.manager.id)});
        }
        if (!allowed.contains(mode)) {
            throw AccessDenied({.message = fmt::format("{} access is not allowed for manager '{}' in mode {} "
                                                       "(allowed: {})",
                                                       to_string(mode), config.manager.id,
                                                       to_string(config.manager.mode), to_string(allowed))});
        }
        ModePool& p = primary.for_mode(mode);
        return pg::Connection(p.pool->acquire(site), p.context);
    }

    bool shutdown(std::chrono::milliseconds wait) {
        shut_down.store(true, std::memory_order_release);
        upkeep.stop();
        // One deadline for all pools: each waits only for what is left of `wait`.
        const auto deadline = SteadyClock::now() + wait;
        bool all_back = true;
        for (const auto& p : primary.all()) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(remaining(deadline));
            all_back = p.pool->shutdown(left) && all_back;
        }
        return all_back;
    }

    std::vector<PoolHealth> pool_health() const {
        std::vector<PoolHealth> out;
        for (const auto& p : primary.all()) {
            out.push_back({.access = p.access, .stats = p.pool->stats(), .long_holders = p.pool->long_holders()});
        }
        return out;
    }

    EndpointHealth probe() const {
        EndpointHealth h{.endpoint = primary.endpoint().to_string(), .role = "unknown"};
        try {
            const auto deadline = deadline_after(config.postgres.connect_timeout);
            auto conn = open_direct(config, primary.endpoint(), application_name + "/health", deadline);
            const auto started = SteadyClock::now();
            auto r = pg::exec_simple_blocking(conn, "SELECT pg_is_in_recovery()", deadline);
            h.rtt = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started);
            h.role = r[0].get<bool>(0) ? "standby" : "primary";
            h.reachable = true;
        } catch (const Error& e) {
            h.error = e.what();
        }
        h.pools = pool_health();
        return h;
    }

    Config config;
    std::string application_name;
    AccessSet allowed;
    pid_t owner_pid;
    std::uint64_t owner_fork_generation;
    std::atomic<bool> shut_down{false};
    EndpointPools primary;
    PeriodicTask upkeep;  // declared last: stopped first, before the pools it maintains go away

private:
    void check_max_connections() {
        std::size_t possible = 0;
        for (ConnectionMode access : kAllConnectionModes) {
            if (!allowed.contains(access)) continue;
            const auto o = pool_options_for(config, access);
            possible += o.size + o.max_overflow;
        }
        try {
            const auto deadline = deadline_after(config.postgres.connect_timeout);
            auto conn = open_direct(config, primary.endpoint(), application_name, deadline);
            auto r = pg::exec_simple_blocking(conn, "SHOW max_connections", deadline);
            const auto max = std::stoull(r[0].get<std::string>(0));
            if (possible <= max) return;
            const std::string problem = fmt::format(
                "the pools of manager '{}' may open {} connections to {}, above its max_connections ({})",
                config.manager.id, possible, primary.endpoint().to_string(), max);
            if (config.manager.refuse_over_max_connections) {
                throw ConfigInvalid("manager.refuse_over_max_connections", problem);
            }
            log().warn("{}", problem);
        } catch (const ConfigInvalid&) {
            throw;
        } catch (const std::exception& e) {
            log().warn("could not check max_connections of {}: {}", primary.endpoint().to_string(), e.what());
        }
    }
};

UnifiedConnectionManager::UnifiedConnectionManager(Config config)
    : impl_(std::make_shared<Impl>(std::move(config))) {}

UnifiedConnectionManager::~UnifiedConnectionManager() = default;

pg::Connection UnifiedConnectionManager::do_connection(ConnectionMode mode, std::source_location site) {
    return impl_->acquire(mode, site);
}

ConnectionInfo UnifiedConnectionManager::connection_info() const {
    ConnectionInfo info{.mode = impl_->config.manager.mode,
                        .id = impl_->config.manager.id,
                        .application_name = impl_->application_name,
                        .allowed_access = impl_->allowed};
    info.endpoints.push_back({.endpoint = impl_->primary.endpoint().to_string(),
                              .role = "primary",
                              .reachable = true,
                              .pools = impl_->pool_health()});
    return info;
}

HealthReport UnifiedConnectionManager::health_check() {
    HealthReport report;
    report.endpoints.push_back(impl_->probe());
    const auto& primary = report.endpoints.front();
    if (!primary.reachable) {
        report.status = HealthStatus::Unhealthy;
        report.reasons.push_back(fmt::format("primary {} unreachable: {}", primary.endpoint, primary.error));
    } else if (primary.role != "primary") {
        report.status = HealthStatus::Unhealthy;
        report.reasons.push_back(fmt::format("{} is a standby; no writable primary", primary.endpoint));
    }
    for (const auto& p : primary.pools) {
        if (!p.long_holders.empty()) {
            if (report.status == HealthStatus::Healthy) report.status = HealthStatus::Degraded;
            report.reasons.push_back(fmt::format("{} lease(s) of the {} pool held past leak_threshold",
                                                 p.long_holders.size(), to_string(p.access)));
        }
    }
    return report;
}

bool UnifiedConnectionManager::shutdown(std::chrono::milliseconds wait) { return impl_->shutdown(wait); }

const Config& UnifiedConnectionManager::config() const noexcept { return impl_->config; }

}  // namespace ucm
