#pragma once
// The manager's Redis side: the pools and, for a Sentinel-managed master, the tracker that tells
// them where the master is, when it moved (retire the old generation) and when a failover is in
// progress (hold writes). Standalone servers have no tracker: the pools connect to the one server.

#include "manager/redis_pools.hpp"

#include <ucm/core/config.hpp>
#include <ucm/health/health_report.hpp>
#include <ucm/redis/connection.hpp>

#include <memory>
#include <source_location>
#include <string>
#include <vector>

namespace ucm {

class IoThread;

namespace redis {
class SentinelTracker;
}  // namespace redis

/// Thread safety: safe to share.
class ManagedRedis {
public:
    /// For `config.redis` (which must be set). Under Sentinel, waits up to redis.connect_timeout
    /// for the first discovery; acquires made before a master is known wait within their deadline.
    /// The Sentinel watcher runs on `io` (the manager's internal executor; null: a thread of its own).
    ManagedRedis(const Config& config, std::string client_name, std::shared_ptr<IoThread> io = nullptr);
    ~ManagedRedis();
    ManagedRedis(const ManagedRedis&) = delete;
    ManagedRedis& operator=(const ManagedRedis&) = delete;

    [[nodiscard]] redis::Connection acquire(ConnectionMode mode, std::source_location site);
    [[nodiscard]] asio::awaitable<redis::Connection> async_acquire(ConnectionMode mode, Deadline deadline,
                                                                  std::source_location site);
    void maintain();
    /// Shuts the pools down (waiting for leases until `deadline`), then stops following Sentinel.
    bool shutdown(Deadline deadline);
    [[nodiscard]] std::vector<PoolHealth> pool_health() const;
    /// Sets `report.redis` and lowers `report.status` with reasons when Redis is degraded or down.
    void fill_health(HealthReport& report, Deadline deadline);

private:
    EndpointHealth probe(const Endpoint& endpoint, std::string role, Deadline deadline) const;

    RedisOptions options_;
    std::chrono::milliseconds probe_timeout_;
    std::shared_ptr<redis::SentinelTracker> tracker_;  // null: standalone; shared with the leases' hooks
    std::unique_ptr<RedisPools> pools_;
};

}  // namespace ucm
