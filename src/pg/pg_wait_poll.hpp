#pragma once
// The blocking driver of the libpq state machine: waits for socket readiness with poll() until a
// deadline. On a missed deadline the connection is cancelled (in the background) and closed.

#include "pg/pg_connection.hpp"

#include <ucm/core/deadline.hpp>

#include <cstdint>

namespace ucm::pg {

/// The poll() events that satisfy `what` (0 for IoWait::none).
short poll_events(IoWait what) noexcept;

/// Waits until `fd` is ready for `what` or the deadline passes; false on timeout.
bool wait_fd(int fd, IoWait what, Deadline deadline);

/// Starts and completes a connection by `deadline`. Throws AuthFailed, ConnectionFailed, or
/// ConnectionFailed naming the deadline when it passes (ucm's connect timeout, not libpq's).
PgConnection connect_blocking(const ConnectSpec& spec, Deadline deadline);

/// What to do when the deadline passes while waiting for a result.
enum class OnDeadline : std::uint8_t {
    cancel_and_close,  ///< ask the server to cancel (from a helper thread), then close
    close_only,        ///< never cancel (COMMIT): just close; the outcome is in doubt
};

/// The deadline passed while a command was in flight: cancels it on the server (unless
/// close_only), closes the connection and throws DeadlineExceeded. Shared by both drivers.
[[noreturn]] void deadline_passed(PgConnection& conn, OnDeadline on_deadline);
/// A connect missed its deadline: closes and throws a retriable ConnectionFailed. Shared by both drivers.
[[noreturn]] void connect_timed_out(PgConnection& conn, const ConnectSpec& spec);

/// Waits for the result of the command already sent. Throws the server's error, ConnectionFailed,
/// or DeadlineExceeded (the connection is then closed).
Result await_result_blocking(PgConnection& conn, Deadline deadline, OnDeadline on_deadline);

/// Runs one statement by `deadline`. Throws QueryFailed (with SQLSTATE), ConnectionFailed, or
/// DeadlineExceeded (the connection is then closed).
Result exec_blocking(PgConnection& conn, std::string_view sql, std::span<const Param> params, Deadline deadline);
/// The same for a simple-protocol command (BEGIN, COMMIT, ...).
Result exec_simple_blocking(PgConnection& conn, std::string_view sql, Deadline deadline);

}  // namespace ucm::pg
