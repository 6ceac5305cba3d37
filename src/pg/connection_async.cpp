// The coroutine driver of a leased connection: StatementRunner's rules with the Asio wait of
// pg_wait_asio, so the executor is never blocked.
#include "pg/pg_wait_asio.hpp"
#include "pg/statement_runner.hpp"

#include <ucm/core/error.hpp>
#include <ucm/pg/connection.hpp>

namespace ucm::pg {
namespace {

using Kind = StatementRunner::Kind;

asio::awaitable<Result> checked_async(Connection& c, std::string_view sql, std::span<const Param> params,
                                    Deadline deadline, bool simple, Kind kind);

// BEGIN READ ONLY ... COMMIT around a statement (read-only leases behind PgBouncer). A handler
// cannot co_await, so the failure is carried out of it before the ROLLBACK.
asio::awaitable<Result> run_read_only_wrapped(StatementRunner& r, Deadline deadline) {
    Connection& c = r.c;
    (void)co_await checked_async(c, "BEGIN READ ONLY", {}, deadline, true, Kind::begin_or_rollback);
    std::exception_ptr failure;
    try {
        Result result = co_await checked_async(c, r.sql, r.params, deadline, r.simple, Kind::statement);
        (void)co_await checked_async(c, "COMMIT", {}, deadline, true, Kind::begin_or_rollback);
        co_return result;
    } catch (const Error&) {
        failure = std::current_exception();
    }
    if (!r.lease_broken()) {
        try {
            (void)co_await checked_async(c, "ROLLBACK", {}, deadline, true, Kind::begin_or_rollback);
        } catch (const Error&) {
            r.mark_broken();
        }
    }
    std::rethrow_exception(failure);
}

asio::awaitable<Result> checked_async(Connection& c, std::string_view sql, std::span<const Param> params,
                                    Deadline deadline, bool simple, Kind kind) {
    StatementRunner r{.c = c, .sql = sql, .params = params, .simple = simple, .kind = kind};
    if (r.prepare()) co_return co_await run_read_only_wrapped(r, deadline);
    r.send();
    try {
        Result result = co_await async_await_result(*r.conn, deadline, r.on_deadline());
        co_return r.finish(std::move(result));
    } catch (const InDoubt&) {
        throw;
    } catch (const Error& e) {
        r.failed(e);
    } catch (...) {
        r.cancelled();
    }
}

}  // namespace

asio::awaitable<Result> Connection::async_run(std::string_view sql, std::span<const Param> params,
                                              Deadline deadline, bool simple, Kind kind) {
    try {
        co_return co_await checked_async(*this, sql, params, deadline, simple, kind);
    } catch (const Error& e) {
        if (context_ && context_->on_error) context_->on_error(e);
        throw;
    }
}

asio::awaitable<Result> Connection::async_execute_params(std::string_view sql, std::span<const Param> params,
                                                         Deadline deadline) {
    return async_run(sql, params, deadline, false, Kind::statement);
}

asio::awaitable<Result> Connection::async_execute_simple(std::string_view sql, Deadline deadline) {
    return async_run(sql, {}, deadline, true, Kind::statement);
}

}  // namespace ucm::pg
