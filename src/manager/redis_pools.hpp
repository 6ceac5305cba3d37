#pragma once
// The pools of the Redis master, one per ConnectionMode, over the same pool core as PostgreSQL,
// sized by the same mode presets. One generation counter covers them all: retire() moves it on
// when the master moves, closes idle connections of older generations at once and shuts down the
// sockets of leased ones, so a command in flight to a retired master fails instead of being
// acknowledged by a server whose writes will be lost (DESIGN "Generations, not hope").
//
// Where connections go is asked of `target` at every connect, so the Sentinel logic retargets the
// pools by changing what it returns (first), then calling retire() - no pool is rebuilt.

#include "pool/blocking_pool.hpp"
#include "resilience/breaker_set.hpp"
#include "redis/socket_registry.hpp"

#include <ucm/core/config.hpp>
#include <ucm/core/endpoint.hpp>
#include <ucm/health/health_report.hpp>
#include <ucm/redis/connection.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

namespace ucm {

/// Thread safety: safe to share (the pools lock internally; the array never changes).
class RedisPools {
public:
    /// Where to connect now, asked by `deadline` (it may wait for a master to be known); may throw
    /// a ucm::Error (a non-retriable one fails the acquire).
    using Target = std::function<Endpoint(Deadline deadline)>;
    /// Told of every error on a lease (after the lease saw it). Must not throw.
    using ErrorHook = std::function<void(const Error&, ConnectionMode)>;

    /// Where each kind of lease goes, and the hooks of a Sentinel-managed master.
    struct Routing {
        Target master;  ///< ReadWrite and Admin leases, and ReadOnly ones without `replica`
        Target replica{};  ///< ReadOnly leases (a replica, or the master when none is usable); empty: the master
        std::function<void(Deadline)> await_writable{};  ///< see redis::LeaseContext; empty: no fence
        std::function<bool()> write_fenced{};            ///< see redis::LeaseContext; empty: no fence
        /// Whether where connections go is settled (no failover or rediscovery in progress): an
        /// open breaker then fails the acquire with CircuitOpen; otherwise the acquire waits for
        /// the target to move. Empty: always settled (a standalone server).
        std::function<bool()> settled{};
    };
    /// Pools for `config.redis` (which must be set), named `client_name` on the server.
    RedisPools(const Config& config, Routing routing, std::string client_name, ErrorHook on_error = {});

    /// A connection for `mode` within pool.acquire_timeout.
    /// Errors: PoolTimeout (with the last connect error), QueueFull, ShutDown, AuthFailed, and the
    /// target's own non-retriable errors.
    [[nodiscard]] redis::Connection acquire(ConnectionMode mode, std::source_location site);
    /// acquire() for coroutines (connects run on ucm's blocking-work threads), by `deadline`.
    [[nodiscard]] asio::awaitable<redis::Connection> async_acquire(ConnectionMode mode, Deadline deadline,
                                                                  std::source_location site);

    /// The master moved: from now on connections belong to `generation` (ignored unless newer).
    /// Idle connections of older generations close now; leased ones have their sockets shut
    /// down (a command in flight fails, the next one is refused before sending) and close on
    /// release.
    void retire(std::uint64_t generation);
    /// The replicas changed: idle ReadOnly connections close so that the next reads connect
    /// where the read target now points; leased ones finish their work and close on release.
    void reroute_reads();
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_->load(std::memory_order_acquire); }

    /// Background upkeep of every pool (see BlockingPool::maintain).
    void maintain();
    /// Shuts every pool down, waiting for leases until `deadline`; true if all came back.
    bool shutdown(Deadline deadline);
    /// The breaker of one endpoint ("host:port").
    [[nodiscard]] BreakerSet::View breaker(const std::string& endpoint) const { return breakers_->view(endpoint); }
    /// Per mode, its counters and long holders.
    [[nodiscard]] std::vector<PoolHealth> pool_health() const;

private:
    struct ModePool {
        ConnectionMode access = ConnectionMode::ReadWrite;
        std::shared_ptr<const redis::LeaseContext> context;
        std::unique_ptr<pool::BlockingPool> pool;
    };
    static std::size_t index(ConnectionMode mode) { return static_cast<std::size_t>(mode); }

    std::shared_ptr<std::atomic<std::uint64_t>> generation_;
    std::shared_ptr<BreakerSet> breakers_;             // per endpoint, shared with the factories
    std::shared_ptr<redis::SocketRegistry> sockets_;  // shared with the factories, which may outlive us
    std::array<ModePool, 3> pools_;
};

}  // namespace ucm
