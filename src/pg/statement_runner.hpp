#pragma once
// The rules of one statement on a leased connection, shared by the blocking driver
// (connection.cpp) and the coroutine driver (connection_async.cpp): only the wait for the result
// differs between them, so the two APIs cannot drift apart.

#include "pg/pg_connection.hpp"
#include "pg/pg_wait_poll.hpp"

#include <ucm/pg/connection.hpp>

namespace ucm::pg {

/// The lease's connection, after the checks that need no I/O: a lease is held, and its endpoint
/// has not changed role since it was taken (else a retriable ConnectionFailed, nothing sent).
PgConnection& leased_connection(Connection& c);

/// The connection ended before the server's verdict (a missed deadline, a broken socket): for
/// what may have committed, whether it did is unknown.
[[nodiscard]] bool outcome_unknown(const Error& e) noexcept;

/// Marks the lease broken and throws InDoubt saying that `what` was sent and then `then`.
[[noreturn]] void throw_in_doubt(Connection& c, std::string_view what, std::string_view then);
/// How `e` ended a statement, for throw_in_doubt(): "its deadline passed", "the connection broke".
[[nodiscard]] std::string_view ending_of(const Error& e) noexcept;

/// Thread safety: not thread-safe; one per statement, on the stack (or coroutine frame) of its call.
struct StatementRunner {
    using Kind = Connection::Kind;

    Connection& c;
    std::string_view sql;
    std::span<const Param> params;
    bool simple = false;
    Connection::Kind kind = Connection::Kind::statement;

    bool commit_like = false;       ///< COMMIT or END: never cancelled, in doubt once sent
    bool doubt_after_send = false;  ///< a verdict lost after sending leaves the outcome unknown
    PgConnection* conn = nullptr;

    /// The checks that need no I/O (a lease, its generation) and what kind of statement this is.
    /// True when it must run inside BEGIN READ ONLY ... COMMIT (a read-only lease behind
    /// PgBouncer): the driver then runs those three statements instead.
    bool prepare();
    /// Sends the statement; if this throws, nothing reached the server.
    void send();
    [[nodiscard]] OnDeadline on_deadline() const noexcept {
        return commit_like ? OnDeadline::close_only : OnDeadline::cancel_and_close;
    }
    /// The checks on an answer: a cancelled wait for synchronous replication (InDoubt), a COMMIT
    /// answered ROLLBACK (QueryFailed, 40000).
    Result finish(Result result);
    /// From the handler of a failure after send(): rethrows `e`, marking the lease broken when it
    /// poisons the connection, or throws InDoubt when the statement's outcome became unknown.
    [[noreturn]] void failed(const Error& e);
    /// From the handler of a cancellation after send() (the statement was cancelled on the server
    /// and its connection closed): InDoubt when it may have committed, else the cancellation.
    [[noreturn]] void cancelled();

    [[nodiscard]] bool lease_broken() const noexcept { return c.lease_.broken(); }
    void mark_broken() noexcept { c.lease_.mark_broken(); }

    // For the free helpers above (friendship is not inherited by them).
    static pool::Lease& lease_of(Connection& c) noexcept { return c.lease_; }
    static const LeaseContext& context_of(const Connection& c) noexcept { return *c.context_; }
    static void check_generation_of(Connection& c) { c.check_generation(); }
};

}  // namespace ucm::pg
