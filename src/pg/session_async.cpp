// Session for coroutines: BEGIN, COMMIT and ROLLBACK through the Asio driver. COMMIT runs as its
// own coroutine with no cancellation slot, so cancelling the caller cannot abandon it halfway
// (DESIGN: COMMIT is never cancelled).
#include <ucm/pg/session.hpp>

#include <ucm/core/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace ucm::pg {

asio::awaitable<Session> Session::async_begin(Connection connection, TransactionOptions options) {
    const std::string begin = begin_statement(options);
    (void)co_await connection.async_run(begin, {}, deadline_after(connection.query_timeout()), true,
                                        Connection::Kind::begin_or_rollback);
    co_return Session(std::move(connection), Begun{});
}

asio::awaitable<void> Session::async_commit() { co_await async_commit(deadline_after(connection_.query_timeout())); }

asio::awaitable<void> Session::async_commit(Deadline deadline) {
    if (finished_) throw QueryFailed({.message = "commit() on a finished session", .retriable = false});
    finished_ = true;  // whatever COMMIT answers, this transaction is over
    const auto ex = co_await asio::this_coro::executor;
    auto commit = [this, deadline]() -> asio::awaitable<void> {
        (void)co_await connection_.async_run("COMMIT", {}, deadline, true, Connection::Kind::commit);
    };
    // An empty slot: the caller's cancellation does not reach the COMMIT.
    auto uncancellable = asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable);
    auto committing = asio::co_spawn(ex, commit(), uncancellable);
    co_await std::move(committing);
}

asio::awaitable<void> Session::async_rollback() {
    if (finished_) co_return;
    finished_ = true;
    (void)co_await connection_.async_run("ROLLBACK", {}, deadline_after(connection_.query_timeout()), true,
                                         Connection::Kind::begin_or_rollback);
}

asio::awaitable<void> Session::async_rollback_quietly() noexcept {
    bool failed = false;
    try {
        co_await async_rollback();
    } catch (...) {
        failed = true;
    }
    if (failed) connection_.release_broken();
}

}  // namespace ucm::pg
