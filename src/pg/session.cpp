#include <ucm/pg/session.hpp>

#include <ucm/core/error.hpp>

#include <fmt/format.h>

namespace ucm::pg {

std::string begin_statement(const TransactionOptions& options) {
    std::string sql = "BEGIN";
    switch (options.isolation) {
        case IsolationLevel::Default: break;
        case IsolationLevel::ReadCommitted: sql += " ISOLATION LEVEL READ COMMITTED"; break;
        case IsolationLevel::RepeatableRead: sql += " ISOLATION LEVEL REPEATABLE READ"; break;
        case IsolationLevel::Serializable: sql += " ISOLATION LEVEL SERIALIZABLE"; break;
    }
    if (options.read_only) sql += " READ ONLY";
    if (options.deferrable) sql += " DEFERRABLE";
    return sql;
}

Session::Session(Connection connection, const TransactionOptions& options) : connection_(std::move(connection)) {
    connection_.run(begin_statement(options), {}, deadline_after(connection_.query_timeout()), true,
                    Connection::Kind::begin_or_rollback);
}

// No explicit ROLLBACK here: releasing the lease runs the pool's reset, which rolls back an open
// or failed transaction (and closes the connection if it cannot).
Session::~Session() = default;

void Session::commit() { commit(deadline_after(connection_.query_timeout())); }

void Session::commit(Deadline deadline) {
    if (finished_) throw QueryFailed({.message = "commit() on a finished session", .retriable = false});
    finished_ = true;  // whatever COMMIT answers, this transaction is over
    // run() turns a COMMIT answered ROLLBACK into QueryFailed (40000), and doubt into InDoubt.
    (void)connection_.run("COMMIT", {}, deadline, true, Connection::Kind::commit);
}

void Session::rollback() {
    if (finished_) return;
    finished_ = true;
    connection_.run("ROLLBACK", {}, deadline_after(connection_.query_timeout()), true,
                    Connection::Kind::begin_or_rollback);
}

}  // namespace ucm::pg
