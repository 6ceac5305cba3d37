#pragma once
// What the pools and leases of one PostgreSQL host share with the topology. Held by shared_ptr, so
// a lease that outlives the manager still finds it; the topology itself is reached only through a
// weak_ptr, so a late lease reports into nothing.

#include "pg/router.hpp"

#include <ucm/core/endpoint.hpp>
#include <ucm/core/error.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ucm::pg {

/// Events the data path reports about a host.
class HostEvents {
public:
    virtual ~HostEvents() = default;
    /// A connect attempt finished (for the breaker; a failure also triggers a rediscovery).
    virtual void on_connect(std::size_t host, bool ok, std::chrono::nanoseconds took) noexcept = 0;
    /// A leased connection failed: a broken socket, 08xxx, 57P01–57P03 (the host may be gone), or
    /// 25006 on a session opened read-write (the host is no longer writable).
    virtual void on_lease_error(std::size_t host, const Error& error, ConnectionMode mode) noexcept = 0;
    /// A new connection's in_hot_standby / default_transaction_read_only contradicted the role
    /// the topology expected.
    virtual void on_role_mismatch(std::size_t host, HostRole seen) noexcept = 0;
};

struct HostLink {
    std::size_t index = 0;
    Endpoint endpoint{};
    std::string name{};  ///< endpoint.to_string()
    /// Bumped on every role change: commands on leases of an older generation fail retriably.
    std::atomic<std::uint64_t> generation{0};
    /// The role the topology believes; a new connection is checked against it.
    std::atomic<HostRole> expected_role{HostRole::Unknown};
    std::weak_ptr<HostEvents> events{};
};

}  // namespace ucm::pg
