#pragma once
// The pools of one PostgreSQL endpoint, one per ConnectionMode (DESIGN "Modes": read-only and
// admin leases on the primary come from their own pools, which start empty).

#include "pg/host_link.hpp"
#include "pool/blocking_pool.hpp"

#include <ucm/core/config.hpp>
#include <ucm/pg/connection.hpp>

#include <array>
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

/// The pool settings of one mode's pool: the config's [pool] with the mode preset applied.
pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access);

}  // namespace ucm
