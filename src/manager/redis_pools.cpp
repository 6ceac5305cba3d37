#include "manager/redis_pools.hpp"

#include "manager/leak_logger.hpp"
#include "manager/manager_pools.hpp"
#include "redis/redis_pooled_connection.hpp"

#include <fmt/format.h>

namespace ucm {
namespace {

redis::RedisConnectSpec base_spec(const RedisOptions& options, std::string client_name) {
    return {.endpoint = {},
            .user = options.user,
            .password = options.password,
            .db = options.db,
            .client_name = std::move(client_name)};
}

// Connects unless the endpoint's breaker is open; a refusal is CircuitOpen when the target is
// settled, else a retriable failure so the acquire waits for the target to move (the same rule as
// PostgreSQL's routing).
redis::RedisConnection connect_through_breaker(const redis::RedisConnectSpec& spec, Deadline deadline,
                                               BreakerSet& breakers, const std::function<bool()>& settled) {
    const std::string where = spec.endpoint.to_string();
    if (!breakers.try_acquire(where)) {
        if (!settled || settled()) {
            throw CircuitOpen({.message = fmt::format("redis {}: circuit breaker open after repeated connect "
                                                      "failures; retry later",
                                                      where),
                               .endpoint = where});
        }
        throw ConnectionFailed({.message = fmt::format("redis {}: circuit breaker open; waiting for the master to "
                                                      "be resolved",
                                                      where),
                                .retriable = true,
                                .endpoint = where});
    }
    const auto started = SteadyClock::now();
    try {
        auto conn = redis::RedisConnection::connect(spec, deadline);
        breakers.record(where, true, SteadyClock::now() - started);
        return conn;
    } catch (const Error& e) {
        // Only the server's absence counts against it; a refused password is not an outage.
        const bool outage = e.code() == Errc::connection_failed || e.code() == Errc::deadline_exceeded;
        breakers.record(where, !outage, SteadyClock::now() - started);
        throw;
    }
}

}  // namespace

RedisPools::RedisPools(const Config& config, Routing routing, std::string client_name, ErrorHook on_error)
    : generation_(std::make_shared<std::atomic<std::uint64_t>>(0)),
      breakers_(std::make_shared<BreakerSet>(config.breaker)),
      sockets_(std::make_shared<redis::SocketRegistry>()) {
    const RedisOptions& options = config.redis.value();
    const auto command_timeout = options.command_timeout.value_or(mode_preset(config.manager.mode).query_deadline);
    std::string endpoint;
    if (const auto* standalone = std::get_if<RedisStandalone>(&options.topology)) {
        endpoint = standalone->endpoint.to_string();
    }
    const auto spec = base_spec(options, std::move(client_name));
    for (ConnectionMode access : kAllConnectionModes) {
        ModePool& slot = pools_[index(access)];
        slot.access = access;
        redis::LeaseContext context{.mode = access,
                                    .endpoint = endpoint,
                                    .command_timeout = command_timeout,
                                    .generation = generation_,
                                    .await_writable = routing.await_writable,
                                    .write_fenced = routing.write_fenced};
        if (on_error) {
            context.on_error = [on_error, access](const Error& e) { on_error(e, access); };
        }
        slot.context = std::make_shared<const redis::LeaseContext>(std::move(context));
        Target target = access == ConnectionMode::ReadOnly && routing.replica ? routing.replica : routing.master;
        auto factory = [spec, target = std::move(target), generation = generation_, sockets = sockets_,
                        breakers = breakers_,
                        settled = routing.settled](Deadline deadline) -> std::unique_ptr<pool::PooledResource> {
            // The generation is read before the target, so a connection is never newer than its
            // address: at worst it is refused as stale, never trusted with an old master.
            const std::uint64_t opened_in = generation->load(std::memory_order_acquire);
            redis::RedisConnectSpec to = spec;
            to.endpoint = target(deadline);
            auto conn = connect_through_breaker(to, deadline, *breakers, settled);
            sockets->add(conn.socket(), opened_in);
            if (generation->load(std::memory_order_acquire) != opened_in) {
                // retire() ran during the connect and could not see this socket yet.
                throw ConnectionFailed({.message = to.endpoint.to_string() + ": the master changed while connecting",
                                        .retriable = true,
                                        .poisons_connection = true,
                                        .endpoint = to.endpoint.to_string()});
            }
            return std::make_unique<redis::RedisPooledConnection>(std::move(conn), opened_in);
        };
        slot.pool = std::make_unique<pool::BlockingPool>(pool::BlockingPoolSetup{
            .options = pool_options_for(config, access, {.connect_timeout = options.connect_timeout}),
            .factory = std::move(factory),
            .endpoint = endpoint.empty() ? std::string("redis") : endpoint,
            .observer = &leak_logger(),
        });
    }
}

redis::Connection RedisPools::acquire(ConnectionMode mode, std::source_location site) {
    const ModePool& p = pools_[index(mode)];
    pool::Lease lease = p.pool->acquire(site);
    const std::uint64_t opened_in = lease.as<redis::RedisPooledConnection>().generation();
    return redis::Connection(std::move(lease), p.context, opened_in);
}

asio::awaitable<redis::Connection> RedisPools::async_acquire(ConnectionMode mode, Deadline deadline,
                                                             std::source_location site) {
    const ModePool& p = pools_[index(mode)];
    pool::Lease lease = co_await p.pool->async_acquire_until(deadline, site);
    const std::uint64_t opened_in = lease.as<redis::RedisPooledConnection>().generation();
    co_return redis::Connection(std::move(lease), p.context, opened_in);
}

void RedisPools::retire(std::uint64_t generation) {
    std::uint64_t current = generation_->load(std::memory_order_acquire);
    do {
        if (generation <= current) return;
    } while (!generation_->compare_exchange_weak(current, generation, std::memory_order_acq_rel));
    // Each pool's own generation only has to change (reroute_reads() moves the ReadOnly one on
    // its own): bump, so the two never collide on one value.
    for (auto& p : pools_) (void)p.pool->bump_generation();
    sockets_->shutdown_older_than(generation);
}

void RedisPools::reroute_reads() { (void)pools_[index(ConnectionMode::ReadOnly)].pool->bump_generation(); }

void RedisPools::maintain() {
    for (auto& p : pools_) p.pool->maintain();
}

bool RedisPools::shutdown(Deadline deadline) {
    bool all_back = true;
    for (auto& p : pools_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(remaining(deadline));
        all_back = p.pool->shutdown(left) && all_back;
    }
    return all_back;
}

std::vector<PoolHealth> RedisPools::pool_health() const {
    std::vector<PoolHealth> out;
    for (const auto& p : pools_) {
        out.push_back({.access = p.access, .stats = p.pool->stats(), .long_holders = p.pool->long_holders()});
    }
    return out;
}

}  // namespace ucm
