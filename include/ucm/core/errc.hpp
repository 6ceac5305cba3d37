#pragma once

#include <ucm/export.hpp>

#include <system_error>

namespace ucm {

/// Stable error codes of every ucm failure (DESIGN "Errors"). Values never change once released:
/// they appear in logs, metric labels and `std::error_code` comparisons.
enum class Errc : int {
    config_invalid = 1,       ///< configuration rejected at load or validation
    access_denied = 2,        ///< the manager's mode does not allow the requested ConnectionMode
    pool_timeout = 3,         ///< no connection became free before the acquire deadline
    queue_full = 4,           ///< too many waiters (max_waiters)
    circuit_open = 5,         ///< every candidate endpoint's breaker is open
    no_primary = 6,           ///< no writable primary known at the deadline
    connection_failed = 7,    ///< connect or I/O failure
    auth_failed = 8,          ///< the server rejected the credentials
    deadline_exceeded = 9,    ///< an operation's deadline passed; the connection was closed
    query_failed = 10,        ///< the server reported an error (see sqlstate())
    read_only_violation = 11, ///< a write reached a read-only session or server (SQLSTATE 25006)
    in_doubt = 12,            ///< a commit may or may not have happened; never retried
    redis_error = 13,         ///< Redis replied with an error
    shut_down = 14,           ///< the manager is shutting down or has shut down
    pipeline_aborted = 15,    ///< a pipeline statement was skipped: an earlier one of its Atomic batch failed
};

/// The category that names ucm's codes; one instance, defined in the shared library so that
/// `std::error_code` comparisons work across the .so boundary.
UCM_EXPORT const std::error_category& error_category() noexcept;

/// Lets `std::error_code{Errc::pool_timeout}` and `ec == Errc::pool_timeout` work.
UCM_EXPORT std::error_code make_error_code(Errc e) noexcept;

/// The code's short stable name, e.g. "pool_timeout".
UCM_EXPORT const char* to_string(Errc e) noexcept;

}  // namespace ucm

template <>
struct std::is_error_code_enum<ucm::Errc> : std::true_type {};
