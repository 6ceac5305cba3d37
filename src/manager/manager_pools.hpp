#pragma once
// The pools of one PostgreSQL endpoint, one per ConnectionMode (DESIGN "Modes": read-only and
// admin leases on the primary come from their own pools, which start empty).

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
    EndpointPools(const Config& config, const Endpoint& endpoint, const std::string& application_name);

    [[nodiscard]] ModePool& for_mode(ConnectionMode mode) { return pools_[index(mode)]; }
    [[nodiscard]] const std::array<ModePool, 3>& all() const { return pools_; }
    [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }

private:
    static std::size_t index(ConnectionMode mode) { return static_cast<std::size_t>(mode); }
    Endpoint endpoint_;
    std::array<ModePool, 3> pools_;
};

/// The pool settings of one mode's pool: the config's [pool] with the mode preset applied.
pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access);

}  // namespace ucm
