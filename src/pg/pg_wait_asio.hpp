#pragma once
// The Asio driver of the libpq state machine (issue 6): the same connect_step()/query_step() as
// the blocking driver (pg_wait_poll), with readiness from a non-owning stream_descriptor on the
// coroutine's executor, each wait raced against a timer for the deadline. Nothing here blocks the
// executor thread: no poll(), no PQexec, no sleeping. (Name resolution happens before, in
// make_connect_spec(), which blocks in getaddrinfo for a host name: an async resolve belongs to
// the coroutine acquire path, issue 6 item 1.)

#include "pg/pg_connection.hpp"
#include "pg/pg_wait_poll.hpp"

#include <ucm/core/deadline.hpp>

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <span>
#include <string_view>

namespace ucm::pg {

/// Waits on the current executor until `fd` is ready for `what` or `deadline` passes; false on
/// timeout. The descriptor is borrowed: it is never closed here. Cancellation of the awaiting
/// coroutine propagates (asio::system_error with operation_aborted).
asio::awaitable<bool> async_wait_fd(int fd, IoWait what, Deadline deadline);

/// async_wait_fd() for a connected `conn`: on its socket as registered once per lease
/// (PgConnection::watched()), until `deadline` fires (a timer armed once per operation).
asio::awaitable<bool> async_wait_conn(PgConnection& conn, IoWait what, asio::steady_timer& deadline);

/// connect_blocking() for coroutines: the same errors.
asio::awaitable<PgConnection> async_connect(const ConnectSpec& spec, Deadline deadline);

/// await_result_blocking() for coroutines: the same errors and deadline handling. If the
/// coroutine is cancelled while waiting, the command is cancelled on the server, the connection
/// closed, and the cancellation rethrown.
asio::awaitable<Result> async_await_result(PgConnection& conn, Deadline deadline, OnDeadline on_deadline);

/// exec_blocking() / exec_simple_blocking() for coroutines.
asio::awaitable<Result> async_exec(PgConnection& conn, std::string_view sql, std::span<const Param> params,
                                   Deadline deadline);
asio::awaitable<Result> async_exec_simple(PgConnection& conn, std::string_view sql, Deadline deadline);

}  // namespace ucm::pg
