#pragma once

#include <sys/types.h>
#include <vector>

namespace ucm::sandbox::detail {

/// Server ports for one sandbox, reserved machine-wide until release().
///
/// Ports come from 20000..31999, below the kernel's ephemeral range (32768+) so an outgoing
/// connection cannot take one (ENVIRONMENT gotcha 2). Each is checked free with bind() and recorded
/// with its owner's PID in /tmp/ucm-sandbox-ports.lock under flock(); entries of dead owners are
/// pruned, so parallel sandboxes, even from different users, never pick the same port.
class PortReservation {
  public:
    /// Reserves `count` ports owned by `owner` (the supervisor). Throws std::runtime_error.
    static PortReservation reserve(int count, pid_t owner);

    PortReservation(PortReservation&& other) noexcept;
    PortReservation& operator=(PortReservation&&) = delete;
    PortReservation(const PortReservation&) = delete;
    PortReservation& operator=(const PortReservation&) = delete;
    ~PortReservation();

    [[nodiscard]] const std::vector<int>& ports() const { return ports_; }
    /// Drops this owner's entries from the registry; idempotent, never throws.
    void release() noexcept;

  private:
    PortReservation(std::vector<int> ports, pid_t owner) : ports_(std::move(ports)), owner_(owner) {}
    std::vector<int> ports_;
    pid_t owner_ = 0;
};

}  // namespace ucm::sandbox::detail
