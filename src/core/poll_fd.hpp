#pragma once
// The one poll() loop of the blocking drivers (libpq's and hiredis's): wait for a descriptor's
// readiness until a deadline, through EINTR, in slices short enough for any timeout.

#include <ucm/core/deadline.hpp>

namespace ucm::detail {

/// Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `deadline` passes. Returns the
/// revents, 0 on timeout, POLLERR when poll() itself fails (the caller's next I/O call reports it).
short poll_fd(int fd, short events, Deadline deadline);

}  // namespace ucm::detail
