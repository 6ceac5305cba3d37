#include "pg/pg_wait_poll.hpp"

#include "core/poll_fd.hpp"

#include <ucm/core/error.hpp>

#include <fmt/format.h>

#include <poll.h>


namespace ucm::pg {
short poll_events(IoWait what) noexcept {
    switch (what) {
        case IoWait::read: return POLLIN;
        case IoWait::write: return POLLOUT;
        case IoWait::read_write: return POLLIN | POLLOUT;
        case IoWait::none: break;
    }
    return 0;
}

void deadline_passed(PgConnection& conn, OnDeadline on_deadline) {
    if (on_deadline == OnDeadline::cancel_and_close) conn.cancel_in_background();
    conn.close();
    throw DeadlineExceeded({.message = fmt::format("{}: deadline exceeded waiting for a result; connection closed",
                                                   conn.endpoint()),
                            .poisons_connection = true,
                            .endpoint = conn.endpoint()});
}

void connect_timed_out(PgConnection& conn, const ConnectSpec& spec) {
    conn.close();
    throw ConnectionFailed({.message = fmt::format("{}: connect timed out", spec.endpoint),
                            .retriable = true,
                            .poisons_connection = true,
                            .endpoint = spec.endpoint});
}

Result await_result_blocking(PgConnection& conn, Deadline deadline, OnDeadline on_deadline) {
    for (IoWait wait = conn.query_step(); wait != IoWait::none; wait = conn.query_step()) {
        if (!wait_fd(conn.socket(), wait, deadline)) deadline_passed(conn, on_deadline);
    }
    return conn.take_result();
}

bool wait_fd(int fd, IoWait what, Deadline deadline) {
    // Readiness or an error condition: the next step finds out which.
    return ucm::detail::poll_fd(fd, poll_events(what), deadline) != 0;
}

PgConnection connect_blocking(const ConnectSpec& spec, Deadline deadline) {
    PgConnection conn = PgConnection::start(spec);
    for (IoWait wait = conn.connect_step(); wait != IoWait::none; wait = conn.connect_step()) {
        // Re-read the socket every step: libpq may open a new one (next host, SSL retry).
        if (!wait_fd(conn.socket(), wait, deadline)) connect_timed_out(conn, spec);
    }
    return conn;
}

Result exec_blocking(PgConnection& conn, std::string_view sql, std::span<const Param> params, Deadline deadline) {
    conn.send_query(sql, params);
    return await_result_blocking(conn, deadline, OnDeadline::cancel_and_close);
}

Result exec_simple_blocking(PgConnection& conn, std::string_view sql, Deadline deadline) {
    conn.send_simple(sql);
    return await_result_blocking(conn, deadline, OnDeadline::cancel_and_close);
}

}  // namespace ucm::pg
