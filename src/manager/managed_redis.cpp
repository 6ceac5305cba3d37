#include "manager/managed_redis.hpp"

#include "health/health_verdict.hpp"
#include "redis/redis_connection.hpp"
#include "redis/sentinel_tracker.hpp"

#include <fmt/format.h>

#include <array>

namespace ucm {

ManagedRedis::ManagedRedis(const Config& config, std::string client_name, std::shared_ptr<IoThread> io)
    : options_(config.redis.value()), probe_timeout_(config.health.probe_timeout) {
    RedisPools::Routing routing;
    if (const auto* standalone = std::get_if<RedisStandalone>(&options_.topology)) {
        routing.master = [endpoint = standalone->endpoint](Deadline) { return endpoint; };
    } else {
        // The pools exist before the tracker's first switch can reach them: the hook only runs
        // once start() below has been called.
        tracker_ = std::make_shared<redis::SentinelTracker>(
            options_, probe_timeout_, [this](std::uint64_t generation, const Endpoint&) { pools_->retire(generation); },
            [this] { pools_->reroute_reads(); });
        // Shared, not borrowed: a lease may outlive the manager (it then finds the tracker
        // stopped: no fence, and ShutDown for a new master).
        std::shared_ptr<redis::SentinelTracker> tracker = tracker_;
        routing.master = [tracker](Deadline deadline) { return tracker->master_for(deadline); };
        routing.replica = [tracker](Deadline deadline) {
            if (auto replica = tracker->next_replica()) return *replica;
            return tracker->master_for(deadline);
        };
        routing.await_writable = [tracker](Deadline deadline) { tracker->await_unfenced(deadline); };
        routing.write_fenced = [tracker] { return tracker->fenced(); };
        routing.settled = [tracker] { return tracker->settled(); };
    }
    RedisPools::ErrorHook on_error;
    if (tracker_) {
        on_error = [tracker = tracker_](const Error& e, ConnectionMode mode) {
            // READONLY is what a replica says to a ReadOnly lease that wrote: not news about the master.
            if (mode != ConnectionMode::ReadOnly) tracker->on_lease_error(e);
        };
    }
    pools_ = std::make_unique<RedisPools>(config, std::move(routing), std::move(client_name), std::move(on_error));
    if (tracker_) tracker_->start(deadline_after(options_.connect_timeout), std::move(io));
}

ManagedRedis::~ManagedRedis() {
    if (tracker_) tracker_->stop();
}

redis::Connection ManagedRedis::acquire(ConnectionMode mode, std::source_location site) {
    return pools_->acquire(mode, site);
}

asio::awaitable<redis::Connection> ManagedRedis::async_acquire(ConnectionMode mode, Deadline deadline,
                                                               std::source_location site) {
    return pools_->async_acquire(mode, deadline, site);
}

void ManagedRedis::maintain() { pools_->maintain(); }

bool ManagedRedis::shutdown(Deadline deadline) {
    const bool all_back = pools_->shutdown(deadline);
    if (tracker_) tracker_->stop();
    return all_back;
}

std::vector<PoolHealth> ManagedRedis::pool_health() const { return pools_->pool_health(); }

EndpointHealth ManagedRedis::probe(const Endpoint& endpoint, std::string role, Deadline deadline) const {
    EndpointHealth out{.endpoint = endpoint.to_string(), .role = std::move(role)};
    const auto breaker = pools_->breaker(out.endpoint);
    out.breaker = to_string(breaker.state);
    out.breaker_retry_in = breaker.retry_in;
    try {
        auto conn = redis::RedisConnection::connect({.endpoint = endpoint,
                                                     .user = options_.user,
                                                     .password = options_.password,
                                                     .client_name = "ucm-health"},
                                                    deadline);
        const std::array<std::string_view, 1> ping{"PING"};
        const auto started = SteadyClock::now();
        const redis::Reply reply = conn.exchange_one(ping, deadline, false);
        out.rtt = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started);
        out.reachable = !reply.is_error();
        if (!out.reachable) out.error = reply.error_message();
    } catch (const Error& e) {
        out.error = e.what();
    }
    return out;
}

void ManagedRedis::fill_health(HealthReport& report, Deadline deadline) {
    auto degrade = [&](std::string why) { ucm::degrade(report, "redis: " + std::move(why)); };
    auto fail = [&](std::string why) { mark_unhealthy(report, "redis: " + std::move(why)); };
    RedisHealth r;
    std::optional<Endpoint> master;
    std::vector<Endpoint> replicas;
    if (tracker_) {
        tracker_->fill_health(r, deadline);
        master = tracker_->master();
        replicas = tracker_->replicas();
    } else {
        master = std::get<RedisStandalone>(options_.topology).endpoint;
        r.master = master->to_string();
        r.generation = pools_->generation();
    }
    const auto pools = pools_->pool_health();
    if (master) {
        EndpointHealth m = probe(*master, "master", deadline);
        m.write_target = true;
        m.writable = m.reachable;
        m.generation = r.generation;
        // Every pool is listed here, the ReadOnly one too: it spreads over the replicas (falling
        // back to the master), so its counters belong to no single replica.
        m.pools = pools;
        if (!m.reachable) fail(fmt::format("master {} unreachable: {}", m.endpoint, m.error));
        r.endpoints.push_back(std::move(m));
    } else {
        fail("no master is known");
    }
    for (const Endpoint& replica : replicas) {
        EndpointHealth e = probe(replica, "replica", deadline);
        e.generation = r.generation;
        if (!e.reachable) degrade(fmt::format("replica {} unreachable: {}", e.endpoint, e.error));
        r.endpoints.push_back(std::move(e));
    }
    if (r.fenced) degrade("a Sentinel failover is in progress: master writes wait for its outcome");
    for (const auto& s : r.sentinels) {
        if (!s.reachable) degrade(fmt::format("sentinel {} unreachable: {}", s.endpoint, s.error));
    }
    if (r.sentinel && !r.quorum_ok) degrade("no sentinel answered SENTINEL CKQUORUM");
    if (r.quorum_ok == false) degrade(fmt::format("SENTINEL CKQUORUM: {}", r.quorum));
    for (const auto& e : r.endpoints) judge_breaker_and_leaks(report, e, "redis: ");
    report.redis = std::move(r);
}

}  // namespace ucm
