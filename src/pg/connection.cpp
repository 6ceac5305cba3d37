#include <ucm/pg/connection.hpp>

#include "pg/pg_pooled_connection.hpp"
#include "pg/statement_runner.hpp"

#include <ucm/core/error.hpp>

#include <fmt/format.h>

#include <cctype>

namespace ucm::pg {
namespace {

bool is_commit_sql(std::string_view sql) {
    while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front())) != 0) sql.remove_prefix(1);
    auto starts = [&](std::string_view word) {
        if (sql.size() < word.size()) return false;
        for (std::size_t i = 0; i < word.size(); ++i) {
            if (std::toupper(static_cast<unsigned char>(sql[i])) != word[i]) return false;
        }
        return sql.size() == word.size() || std::isalnum(static_cast<unsigned char>(sql[word.size()])) == 0;
    };
    return starts("COMMIT") || starts("END");
}


}  // namespace

Connection::Connection(pool::Lease lease, std::shared_ptr<const LeaseContext> context,
                       std::uint64_t generation) noexcept
    : lease_(std::move(lease)), context_(std::move(context)), generation_(generation) {}

void Connection::check_generation() {
    if (!context_->generation || context_->generation->load(std::memory_order_acquire) == generation_) return;
    lease_.mark_broken();
    throw ConnectionFailed({.message = fmt::format("{} changed role since this connection was leased; nothing was "
                                                   "sent; retry on a new connection",
                                                   context_->endpoint),
                            .retriable = true,
                            .poisons_connection = true,
                            .endpoint = context_->endpoint});
}

Result Connection::run(std::string_view sql, std::span<const Param> params, Deadline deadline, bool simple,
                       Kind kind) {
    try {
        return run_checked(sql, params, deadline, simple, kind);
    } catch (const Error& e) {
        if (context_ && context_->on_error) context_->on_error(e);
        throw;
    }
}

Result Connection::execute_params(std::string_view sql, std::span<const Param> params, Deadline deadline) {
    return run(sql, params, deadline, false, Kind::statement);
}

Result Connection::execute_simple(std::string_view sql, Deadline deadline) {
    return run(sql, {}, deadline, true, Kind::statement);
}

int Connection::backend_pid() const {
    return lease_ ? lease_.as<PgPooledConnection>().connection().backend_pid() : 0;
}

// BEGIN READ ONLY ... COMMIT around a statement (read-only leases behind PgBouncer); a failure
// rolls back so the lease is left as it was, outside any transaction.
Result Connection::run_checked(std::string_view sql, std::span<const Param> params, Deadline deadline,
                               bool simple, Kind kind) {
    StatementRunner r{.c = *this, .sql = sql, .params = params, .simple = simple, .kind = kind};
    if (r.prepare()) {
        run_checked("BEGIN READ ONLY", {}, deadline, true, Kind::begin_or_rollback);
        try {
            Result result = run_checked(sql, params, deadline, simple, Kind::statement);
            run_checked("COMMIT", {}, deadline, true, Kind::begin_or_rollback);
            return result;
        } catch (const Error&) {
            if (!lease_.broken()) {
                try {
                    run_checked("ROLLBACK", {}, deadline, true, Kind::begin_or_rollback);
                } catch (const Error&) {
                    lease_.mark_broken();
                }
            }
            throw;
        }
    }
    r.send();
    try {
        return r.finish(await_result_blocking(*r.conn, deadline, r.on_deadline()));
    } catch (const InDoubt&) {
        throw;
    } catch (const Error& e) {
        r.failed(e);
    }
}

// ---- the rules both drivers share ---------------------------------------------------------------

PgConnection& leased_connection(Connection& c) {
    pool::Lease& lease = StatementRunner::lease_of(c);
    if (!lease) {
        throw ConnectionFailed({.message = "this Connection holds no lease (moved from or released)",
                                .retriable = false});
    }
    StatementRunner::check_generation_of(c);
    return lease.as<PgPooledConnection>().connection();
}

bool outcome_unknown(const Error& e) noexcept {
    return e.code() == Errc::deadline_exceeded || e.code() == Errc::connection_failed;
}

std::string_view ending_of(const Error& e) noexcept {
    return e.code() == Errc::deadline_exceeded ? "its deadline passed" : "the connection broke";
}

void throw_in_doubt(Connection& c, std::string_view what, std::string_view then) {
    StatementRunner::lease_of(c).mark_broken();
    const std::string& endpoint = StatementRunner::context_of(c).endpoint;
    throw InDoubt({.message = fmt::format("{}: {} was sent and then {}; it may or may not have been applied",
                                          endpoint, what, then),
                   .retriable = false,
                   .poisons_connection = true,
                   .endpoint = endpoint});
}

void StatementRunner::cancelled() {
    c.lease_.mark_broken();
    if (doubt_after_send) throw_in_doubt(c, "the statement", "its coroutine was cancelled");
    throw;
}

bool StatementRunner::prepare() {
    conn = &leased_connection(c);
    commit_like = kind == Connection::Kind::commit || is_commit_sql(sql);
    const bool autocommit = conn->tx_status() == PgConnection::TxStatus::idle;
    // A COMMIT, or a statement that commits by itself on a connection that may write, is in doubt
    // once sent: DESIGN "COMMIT is never cancelled".
    doubt_after_send = commit_like || (autocommit && kind == Connection::Kind::statement &&
                                       c.context_->mode != ConnectionMode::ReadOnly);
    return autocommit && kind == Connection::Kind::statement && c.context_->read_only_by_transaction && !commit_like;
}

void StatementRunner::send() {
    try {
        if (simple) {
            conn->send_simple(sql);
        } else {
            conn->send_query(sql, params);
        }
    } catch (const Error& e) {
        if (e.poisons_connection()) c.lease_.mark_broken();
        throw;  // nothing reached the server
    }
}

Result StatementRunner::finish(Result result) {
    const std::string& endpoint = c.context_->endpoint;
    if (doubt_after_send && conn->sync_rep_wait_cancelled()) {
        throw InDoubt({.message = fmt::format("{}: committed locally, but the wait for synchronous "
                                              "replication was cancelled; the standby may not have it",
                                              endpoint),
                       .retriable = false,
                       .endpoint = endpoint});
    }
    if (commit_like && result.command_tag() == "ROLLBACK") {
        throw QueryFailed({.message = fmt::format("{}: COMMIT was answered with ROLLBACK: the transaction had "
                                                  "failed earlier and nothing was committed",
                                                  endpoint),
                           .retriable = false,
                           .sqlstate = "40000",
                           .endpoint = endpoint});
    }
    return result;
}

void StatementRunner::failed(const Error& e) {
    if (e.poisons_connection()) c.lease_.mark_broken();
    if (doubt_after_send && outcome_unknown(e)) throw_in_doubt(c, "the statement", ending_of(e));
    throw;
}

}  // namespace ucm::pg
