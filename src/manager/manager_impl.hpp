#pragma once
// The inside of UnifiedConnectionManager, shared by its blocking side
// (unified_connection_manager.cpp) and its coroutine side (unified_connection_manager_async.cpp).

#include <ucm/manager/unified_connection_manager.hpp>

#include "core/fork_guard.hpp"
#include "core/io_thread.hpp"
#include "core/log.hpp"
#include "core/periodic_task.hpp"
#include "health/health_verdict.hpp"
#include "manager/manager_pools.hpp"
#include "manager/managed_redis.hpp"
#include "pg/conninfo.hpp"
#include "pg/pg_wait_poll.hpp"
#include "pg/router.hpp"
#include "pg/topology.hpp"

#include <ucm/core/config_load.hpp>
#include <ucm/core/config_validate.hpp>

#include <asio/awaitable.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>

namespace ucm {
namespace manager_detail {

inline constexpr std::chrono::milliseconds kUpkeepInterval{1'000};

// "ucm/<mode>/<id>": how this manager's sessions are named on the servers (pg_stat_activity,
// Redis CLIENT LIST), so parallel tests and services can tell theirs apart.
inline std::string manager_client_name(const Config& config) {
    return fmt::format("ucm/{}/{}", to_string(config.manager.mode), config.manager.id);
}

inline std::string application_name_for(const Config& config) {
    if (!config.postgres.application_name.empty()) return config.postgres.application_name;
    return manager_client_name(config);
}

// A connection outside the pools, for probes and checks that must not take a lease from a caller.
inline pg::PgConnection open_direct(const Config& config, const Endpoint& endpoint, const std::string& application_name,
                             Deadline deadline) {
    return pg::connect_blocking(
        pg::make_connect_spec(config.postgres, endpoint,
                              {.application_name = application_name, .role = config.postgres.roles.read_write},
                              deadline),
        deadline);
}

inline Config prepared(Config config) {
    resolve_secrets(config, process_env());
    apply_mode_preset(config);
    validate(config);
    return config;
}

}  // namespace manager_detail

class UnifiedConnectionManager::Impl {
public:
    explicit Impl(Config cfg)
        : config(manager_detail::prepared(std::move(cfg))),
          application_name(manager_detail::application_name_for(config)),
          allowed(config.manager.allowed_access.value_or(mode_preset(config.manager.mode).allowed_access)),
          owner_pid(::getpid()),
          owner_fork_generation(fork_generation()),
          policy{.read_policy = config.postgres.read_policy,
                 .fallback = config.postgres.read_only_fallback,
                 .max_lag_time = config.postgres.max_replication_lag,
                 .max_lag_bytes = config.postgres.max_replication_lag_bytes},
          topology(pg::Topology::create({.options = config.postgres,
                                         .health = config.health,
                                         .breaker = config.breaker,
                                         .application_name = application_name,
                                         .policy = policy,
                                         .on_role_change = [this](std::size_t host, std::uint64_t generation) {
                                             on_role_change(host, generation);
                                         }})) {
        for (const auto& link : topology->hosts()) {
            pools.push_back(std::make_unique<EndpointPools>(config, link, application_name));
        }
        if (config.redis) {
            const bool sentinel = std::holds_alternative<RedisSentinel>(config.redis->topology);
            redis = std::make_unique<ManagedRedis>(config, manager_detail::manager_client_name(config),
                                                   sentinel ? internal_io() : nullptr);
        }
        topology->start();
        keep_primary_warm();
        check_max_connections();
        upkeep.start(manager_detail::kUpkeepInterval, [this] { upkeep_round(); });
    }
    ~Impl() {
        shutdown(std::chrono::milliseconds{0});
        std::lock_guard lock(io_mutex_);
        if (io_) io_->stop();  // may run on that very thread: stop() then does not join
    }

    // Every acquire, PostgreSQL or Redis: not after fork(), not after shutdown, only allowed access.
    void check_usable(ConnectionMode mode) const {
        if (fork_generation() != owner_fork_generation) {
            throw ShutDown({.message = fmt::format("manager '{}' was created in process {} and cannot be used after "
                                                   "fork(): create a new manager in the child",
                                                   config.manager.id, owner_pid)});
        }
        check_open();
        if (!allowed.contains(mode)) {
            throw AccessDenied({.message = fmt::format("{} access is not allowed for manager '{}' in mode {} "
                                                       "(allowed: {})",
                                                       to_string(mode), config.manager.id,
                                                       to_string(config.manager.mode), to_string(allowed))});
        }
    }

    [[noreturn]] void no_redis() const {
        throw ConfigInvalid("redis", fmt::format("manager '{}' has no Redis configured: set redis.url (or "
                                                 "redis.sentinels and redis.master_name) to use redis()",
                                                 config.manager.id));
    }

    redis::Connection acquire_redis(ConnectionMode mode, std::source_location site) {
        if (!redis) no_redis();
        check_usable(mode);
        return redis->acquire(mode, site);
    }

    // One PostgreSQL acquire's walk over the topology, shared by the blocking and the coroutine
    // acquire so that both route alike: the next host to take a lease from, or a topology
    // version to wait past; the error that ends the walk is thrown.
    struct Route {
        ConnectionMode mode = ConnectionMode::ReadWrite;
        Deadline deadline{};
        bool fast_tried = false;
        std::vector<std::size_t> failed{};  // hosts whose connect failed during this acquire (reads)
        std::exception_ptr last_failure{};
    };
    struct RouteStep {
        bool wait = false;          // wait for the topology to move past `version`, then step again
        std::size_t host = 0;       // else: take a lease from this host's pool
        std::uint64_t version = 0;
    };

    RouteStep next_step(Route& r) {
        if (!r.fast_tried) {
            r.fast_tried = true;
            // The hot path: the topology published where this mode goes; no lock, no copy.
            // Only reads round-robin: writes leave the shared cursor's cache line alone.
            const std::size_t turn =
                r.mode == ConnectionMode::ReadOnly ? cursor_.fetch_add(1, std::memory_order_relaxed) : 0;
            if (const auto h = topology->fast_route(r.mode, turn)) return {.wait = false, .host = *h, .version = 0};
        }
        check_open();
        auto snap = topology->snapshot();
        for (std::size_t h : r.failed) snap.views[h].role = pg::HostRole::Unknown;
        std::size_t cursor = cursor_.fetch_add(1, std::memory_order_relaxed);
        const auto decision = pg::route(r.mode, snap.views, policy, cursor);
        const bool late = SteadyClock::now() >= r.deadline;
        switch (decision.kind) {
            case pg::RouteDecision::Kind::Host:
                return {.wait = false, .host = decision.host, .version = 0};
            case pg::RouteDecision::Kind::WaitForPrimary:
                if (snap.auth_failure) throw AuthFailed({.message = *snap.auth_failure, .retriable = false});
                if (late) throw NoPrimary({.message = no_primary_message(r.mode)});
                break;
            case pg::RouteDecision::Kind::CircuitOpen:
                // Raised only once the topology is settled: during a rediscovery, wait.
                if (snap.settled || late) throw CircuitOpen({.message = circuit_open_message(r.mode)});
                break;
            case pg::RouteDecision::Kind::NoCandidate:
                if (r.last_failure) std::rethrow_exception(r.last_failure);
                if (snap.settled || late) {
                    throw ConnectionFailed({.message = no_standby_message(), .retriable = true});
                }
                break;
        }
        return {.wait = true, .host = 0, .version = snap.version};
    }

    // Called in the handler of an acquire from `host` that failed: connect failures told the
    // topology, and the walk goes on (writes wait for rediscovery; a read does not go back to a
    // host that just failed it, or a forbidden fallback would connect to a dead standby twice per
    // acquire). Anything else is rethrown.
    static void note_failure(Route& r, std::size_t host, const Error& e) {
        if (e.code() != Errc::connection_failed && e.code() != Errc::deadline_exceeded) throw;
        if (r.mode == ConnectionMode::ReadOnly) {
            r.failed.push_back(host);
            r.last_failure = std::current_exception();
        }
    }

    pg::Connection acquire(ConnectionMode mode, std::source_location site) {
        check_usable(mode);
        Route r{.mode = mode, .deadline = deadline_after(config.pool.acquire_timeout)};
        for (;;) {
            const RouteStep step = next_step(r);
            if (step.wait) {
                topology->wait_for_change(step.version, r.deadline);
                continue;
            }
            const auto generation = pools[step.host]->link().generation.load(std::memory_order_acquire);
            ModePool& p = pools[step.host]->for_mode(mode);
            try {
                return pg::Connection(p.pool->acquire_until(r.deadline, site), p.context, generation);
            } catch (const Error& e) {
                note_failure(r, step.host, e);
            }
        }
    }

    // The coroutine side (unified_connection_manager_async.cpp).
    asio::awaitable<pg::Connection> async_acquire(ConnectionMode mode, Deadline deadline, std::source_location site);
    asio::awaitable<void> async_wait_for_change(std::uint64_t version, Deadline deadline);

    // ucm's internal executor, started on first use (the Sentinel watcher, executor()).
    std::shared_ptr<IoThread> internal_io() {
        std::lock_guard lock(io_mutex_);
        if (!io_) io_ = IoThread::start();
        return io_;
    }

    bool shutdown(std::chrono::milliseconds wait) {
        shut_down.store(true, std::memory_order_release);
        upkeep.stop();
        topology->stop();
        // One deadline for all pools: each waits only for what is left of `wait`.
        const auto deadline = SteadyClock::now() + wait;
        bool all_back = true;
        for (const auto& endpoint : pools) {
            for (const auto& p : endpoint->all()) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(remaining(deadline));
                all_back = p.pool->shutdown(left) && all_back;
            }
        }
        if (redis) all_back = redis->shutdown(deadline) && all_back;
        // The internal executor keeps running: coroutines on it that still wait in ucm now end
        // with ShutDown. It stops with the Impl (~Impl), which such coroutines keep alive.
        return all_back;
    }

    std::vector<PoolHealth> pool_health(std::size_t host) const {
        std::vector<PoolHealth> out;
        for (const auto& p : pools[host]->all()) {
            out.push_back({.access = p.access, .stats = p.pool->stats(), .long_holders = p.pool->long_holders()});
        }
        return out;
    }

    std::vector<EndpointHealth> endpoints() const {
        const auto statuses = topology->status();
        const auto now = SteadyClock::now();
        std::vector<EndpointHealth> out;
        for (std::size_t i = 0; i < statuses.size(); ++i) {
            const auto& st = statuses[i];
            EndpointHealth e{.endpoint = pools[i]->link().name,
                             .role = role_name(st.view.role),
                             .reachable = st.view.reachable,
                             .writable = st.view.writable,
                             .write_target = st.chosen_primary,
                             .timeline = st.view.timeline,
                             .rtt = st.view.rtt,
                             .lag_bytes = st.view.lag_bytes,
                             .lag = st.view.lag_time,
                             .breaker = to_string(st.breaker),
                             .generation = st.generation,
                             .connect_attempts = st.connect_attempts,
                             .error = st.error,
                             .pools = pool_health(i)};
            if (st.breaker == BreakerState::Open) e.breaker_retry_in = breaker_retry_in(st.retry_at, now);
            out.push_back(std::move(e));
        }
        return out;
    }

    HealthReport report() const {
        HealthReport r;
        r.endpoints = endpoints();
        const auto target = std::find_if(r.endpoints.begin(), r.endpoints.end(),
                                         [](const EndpointHealth& e) { return e.write_target; });
        if (target == r.endpoints.end()) mark_unhealthy(r, "no writable primary is known");
        if (topology->split_brain()) {
            std::vector<std::string> claimants;
            for (const auto& e : r.endpoints) {
                if (e.reachable && e.role == "primary" && e.writable) {
                    claimants.push_back(fmt::format("{} (timeline {})", e.endpoint, e.timeline));
                }
            }
            degrade(r, fmt::format("split brain: {} accept writes; writes go only to {}", fmt::join(claimants, " and "),
                                   target != r.endpoints.end() ? target->endpoint : std::string("none")));
        }
        for (const auto& e : r.endpoints) {
            if (!e.reachable) degrade(r, fmt::format("{} ({}) unreachable: {}", e.endpoint, e.role, e.error));
            if (e.reachable && e.role == "standby") {
                pg::HostView v{.role = pg::HostRole::Standby, .lag_bytes = e.lag_bytes, .lag_time = e.lag};
                if (!pg::within_lag(v, policy)) {
                    degrade(r, fmt::format("{}: standby beyond the lag limit ({} bytes, {} ms behind)", e.endpoint,
                                           e.lag_bytes.value_or(0), e.lag ? e.lag->count() : -1));
                }
            }
            judge_breaker_and_leaks(r, e);
        }
        return r;
    }

    HealthReport health_check() {
        check_open();
        const Deadline deadline = deadline_after(config.health.probe_timeout);
        topology->refresh_now(deadline);
        HealthReport r = report();
        if (redis) redis->fill_health(r, deadline);
        return r;
    }

    Config config;
    std::string application_name;
    AccessSet allowed;
    pid_t owner_pid;
    std::uint64_t owner_fork_generation;
    pg::RoutePolicy policy;
    std::atomic<bool> shut_down{false};
    std::shared_ptr<pg::Topology> topology;
    std::vector<std::unique_ptr<EndpointPools>> pools;
    std::unique_ptr<ManagedRedis> redis;  // null without [redis]
    PeriodicTask upkeep;  // declared last: stopped first, before the pools it maintains go away

private:
    void check_open() const {
        if (shut_down.load(std::memory_order_acquire)) {
            throw ShutDown({.message = fmt::format("manager '{}' is shut down", config.manager.id)});
        }
    }

    static std::string role_name(pg::HostRole role) {
        switch (role) {
            case pg::HostRole::Primary: return "primary";
            case pg::HostRole::Standby: return "standby";
            case pg::HostRole::Unknown: break;
        }
        return "unknown";
    }

    std::string hosts_summary() const {
        std::vector<std::string> parts;
        for (const auto& e : endpoints()) {
            std::string part = fmt::format("{} {}", e.endpoint, e.reachable ? e.role : "unreachable");
            if (e.role == "primary" && !e.writable && e.reachable) part += " (read-only)";
            if (!e.reachable && !e.error.empty()) part += fmt::format(" ({})", e.error);
            if (e.breaker != "closed" && e.breaker != "disabled") part += fmt::format(", breaker {}", e.breaker);
            parts.push_back(std::move(part));
        }
        return fmt::format("{}", fmt::join(parts, "; "));
    }

    std::string no_primary_message(ConnectionMode mode) const {
        return fmt::format("no writable primary for a {} connection within {} ms: {}", to_string(mode),
                           config.pool.acquire_timeout.count(), hosts_summary());
    }

    std::string circuit_open_message(ConnectionMode mode) const {
        std::vector<std::string> open;
        for (const auto& e : endpoints()) {
            if (e.breaker == "open") {
                open.push_back(fmt::format("{} (next trial in {} ms)", e.endpoint,
                                           e.breaker_retry_in.value_or(std::chrono::milliseconds{0}).count()));
            } else if (e.breaker == "half_open" || e.breaker == "forced_open") {
                open.push_back(fmt::format("{} ({})", e.endpoint, e.breaker));
            }
        }
        return fmt::format("every candidate endpoint for a {} connection has its circuit breaker open: {}",
                           to_string(mode), fmt::join(open, ", "));
    }

    std::string no_standby_message() const {
        return fmt::format("no standby qualifies for reads (postgres.read_only_fallback = forbid; lag limits {} / {} "
                           "bytes): {}",
                           policy.max_lag_time ? fmt::format("{} ms", policy.max_lag_time->count()) : "none",
                           policy.max_lag_bytes ? fmt::format("{}", *policy.max_lag_bytes) : "none",
                           hosts_summary());
    }

    // Called by the topology after a role change, from its thread.
    void on_role_change(std::size_t host, std::uint64_t generation) {
        if (host < pools.size()) pools[host]->set_generation(generation);
        keep_primary_warm();
    }

    // Only the primary's read-write pool is kept warm (min_idle): a standby would refuse its
    // connections, and a demoted primary's are about to be useless.
    void keep_primary_warm() {
        const auto statuses = topology->status();
        for (std::size_t i = 0; i < pools.size() && i < statuses.size(); ++i) {
            pools[i]->for_mode(ConnectionMode::ReadWrite)
                .pool->set_min_idle(statuses[i].chosen_primary ? config.pool.min_idle : 0);
        }
    }

    void upkeep_round() {
        keep_primary_warm();
        for (const auto& endpoint : pools) {
            for (const auto& p : endpoint->all()) p.pool->maintain();
        }
        if (redis) redis->maintain();
        // The background health monitor: every health.interval, log when the verdict changes.
        const auto now = SteadyClock::now();
        if (now < next_health_) return;
        next_health_ = now + config.health.interval;
        const auto r = report();
        if (r.status != last_status_) {
            if (r.status == HealthStatus::Healthy) {
                log().info("manager '{}' is healthy again", config.manager.id);
            } else {
                log().warn("manager '{}' is {}: {}", config.manager.id, to_string(r.status), fmt::join(r.reasons, "; "));
            }
            last_status_ = r.status;
        }
    }

    void check_max_connections() {
        std::size_t possible = 0;
        for (ConnectionMode access : kAllConnectionModes) {
            if (!allowed.contains(access)) continue;
            const auto o = pool_options_for(config, access);
            possible += o.size + o.max_overflow;
        }
        const auto statuses = topology->status();
        const auto primary = std::find_if(statuses.begin(), statuses.end(),
                                          [](const pg::HostStatus& s) { return s.chosen_primary; });
        const Endpoint& endpoint =
            pools[primary != statuses.end() ? static_cast<std::size_t>(primary - statuses.begin()) : 0]->endpoint();
        try {
            const auto deadline = deadline_after(config.postgres.connect_timeout);
            auto conn = manager_detail::open_direct(config, endpoint, application_name, deadline);
            auto r = pg::exec_simple_blocking(conn, "SHOW max_connections", deadline);
            const auto max = std::stoull(r[0].get<std::string>(0));
            if (possible <= max) return;
            const std::string problem = fmt::format(
                "the pools of manager '{}' may open {} connections to {}, above its max_connections ({})",
                config.manager.id, possible, endpoint.to_string(), max);
            if (config.manager.refuse_over_max_connections) {
                throw ConfigInvalid("manager.refuse_over_max_connections", problem);
            }
            log().warn("{}", problem);
        } catch (const ConfigInvalid&) {
            shutdown(std::chrono::milliseconds{0});
            throw;
        } catch (const std::exception& e) {
            log().warn("could not check max_connections of {}: {}", endpoint.to_string(), e.what());
        }
    }

    std::atomic<std::size_t> cursor_{0};
    std::mutex io_mutex_;
    std::shared_ptr<IoThread> io_;  // guarded by io_mutex_; null until first used
    SteadyClock::time_point next_health_{};
    HealthStatus last_status_ = HealthStatus::Healthy;
};

}  // namespace ucm
