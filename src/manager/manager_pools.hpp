#pragma once
// The pools of one PostgreSQL endpoint, one per ConnectionMode (DESIGN "Modes": read-only and
// admin leases on the primary come from their own pools, which start empty).

#include "pg/host_link.hpp"
#include "pool/blocking_pool.hpp"

#include <ucm/core/config.hpp>
#include <ucm/pg/connection.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <string>

namespace ucm {

struct ModePool {
    ConnectionMode access = ConnectionMode::ReadWrite;
    std::shared_ptr<const pg::LeaseContext> context;
    std::unique_ptr<pool::BlockingPool> pool;
};

/// Thread safety: safe to share (the pools lock internally; the array never changes).
class EndpointPools {
public:
    /// The pools of `link`'s host. Their connects report to the topology through `link`, and a new
    /// connection is checked against the role the topology expects (DESIGN "Generations").
    EndpointPools(const Config& config, std::shared_ptr<pg::HostLink> link, const std::string& application_name);

    [[nodiscard]] ModePool& for_mode(ConnectionMode mode) { return pools_[index(mode)]; }
    [[nodiscard]] const std::array<ModePool, 3>& all() const { return pools_; }
    [[nodiscard]] const Endpoint& endpoint() const { return link_->endpoint; }
    [[nodiscard]] const pg::HostLink& link() const { return *link_; }
    /// Closes idle connections of older generations now, leased ones at release.
    void set_generation(std::uint64_t generation);

private:
    static std::size_t index(ConnectionMode mode) { return static_cast<std::size_t>(mode); }
    std::shared_ptr<pg::HostLink> link_;
    std::array<ModePool, 3> pools_;
};

/// What the pools of one driver need beyond the config's [pool] and the mode preset.
struct DriverPoolSettings {
    std::chrono::milliseconds connect_timeout{5'000};
    /// A failed connect fails the acquire at once (PostgreSQL: the router above picks another
    /// endpoint or waits for rediscovery) instead of being retried until the acquire deadline
    /// (Redis: one master, whose address may change under Sentinel meanwhile).
    bool fail_fast_connect = false;
};

/// The pool settings of one mode's pool: the config's [pool] with the mode preset applied; only
/// the read-write pool is kept warm (min_idle).
pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access, const DriverPoolSettings& driver);

/// The same for PostgreSQL: postgres.connect_timeout, failing fast.
pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access);

}  // namespace ucm
