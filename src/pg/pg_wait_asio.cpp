#include "pg/pg_wait_asio.hpp"

#include "core/asio_race.hpp"
#include "core/borrowed_descriptor.hpp"
#include "core/watched_socket.hpp"

#include <ucm/core/error.hpp>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace ucm::pg {
namespace {

using namespace asio::experimental::awaitable_operators;
using asio::posix::stream_descriptor;

asio::awaitable<void> ready(stream_descriptor& sd, IoWait what) {
    switch (what) {
        case IoWait::read:
            co_await sd.async_wait(stream_descriptor::wait_read, asio::use_awaitable);
            break;
        case IoWait::write:
            co_await sd.async_wait(stream_descriptor::wait_write, asio::use_awaitable);
            break;
        case IoWait::read_write: {
            auto either = sd.async_wait(stream_descriptor::wait_read, asio::use_awaitable) ||
                          sd.async_wait(stream_descriptor::wait_write, asio::use_awaitable);
            co_await std::move(either);
            break;
        }
        case IoWait::none:
            break;
    }
}

}  // namespace

asio::awaitable<bool> async_wait_fd(int fd, IoWait what, Deadline deadline) {
    if (SteadyClock::now() >= deadline) co_return false;
    const auto ex = co_await asio::this_coro::executor;
    BorrowedDescriptor sd(ex, fd);
    asio::steady_timer timer(ex, deadline);
    // `||` waits for the loser's cancellation to complete, so nothing outlives this frame.
    auto race = ready(sd.get(), what) || timer.async_wait(asio::use_awaitable);
    try {
        const auto winner = co_await std::move(race);
        co_return winner.index() == 0;
    } catch (...) {
        rethrow_unwrapped();  // a cancellation reads as operation_aborted, as Asio's own operations do
    }
}

asio::awaitable<PgConnection> async_connect(const ConnectSpec& spec, Deadline deadline) {
    PgConnection conn = PgConnection::start(spec);
    for (IoWait wait = conn.connect_step(); wait != IoWait::none; wait = conn.connect_step()) {
        // Re-read the socket every step: libpq may open a new one (next host, SSL retry), so the
        // descriptor is made afresh for each wait.
        const bool is_ready = co_await async_wait_fd(conn.socket(), wait, deadline);
        if (!is_ready) connect_timed_out(conn, spec);
    }
    co_return conn;
}

asio::awaitable<bool> async_wait_conn(PgConnection& conn, IoWait what, asio::steady_timer& deadline) {
    if (what == IoWait::none) co_return true;
    WatchedSocket& socket = conn.watched(co_await asio::this_coro::executor);
    const bool read = what == IoWait::read || what == IoWait::read_write;
    const bool write = what == IoWait::write || what == IoWait::read_write;
    const SocketReady ready = co_await socket.wait(read, write, deadline);
    co_return ready.read || ready.write;
}

asio::awaitable<Result> async_await_result(PgConnection& conn, Deadline deadline, OnDeadline on_deadline) {
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    for (IoWait wait = conn.query_step(); wait != IoWait::none; wait = conn.query_step()) {
        bool is_ready = false;
        try {
            is_ready = co_await async_wait_conn(conn, wait, timer);
        } catch (...) {
            // Cancelled mid-command: the server must not keep running it on a connection nobody
            // reads from any more (COMMIT is never cancelled: the caller keeps it uncancellable).
            if (on_deadline == OnDeadline::cancel_and_close) conn.cancel_in_background();
            conn.close();
            throw;
        }
        if (!is_ready) deadline_passed(conn, on_deadline);
    }
    co_return conn.take_result();
}

asio::awaitable<Result> async_exec(PgConnection& conn, std::string_view sql, std::span<const Param> params,
                                   Deadline deadline) {
    conn.send_query(sql, params);
    co_return co_await async_await_result(conn, deadline, OnDeadline::cancel_and_close);
}

asio::awaitable<Result> async_exec_simple(PgConnection& conn, std::string_view sql, Deadline deadline) {
    conn.send_simple(sql);
    co_return co_await async_await_result(conn, deadline, OnDeadline::cancel_and_close);
}

}  // namespace ucm::pg
