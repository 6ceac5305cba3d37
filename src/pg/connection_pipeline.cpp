// Connection::execute_pipeline and its coroutine twin: run_checked's rules (generation check,
// poisoning, InDoubt, on_error) around PgPipeline and its two drivers (pg_pipeline.hpp).
#include "pg/pg_pipeline.hpp"
#include "pg/pg_pooled_connection.hpp"
#include "pg/statement_runner.hpp"

#include <ucm/core/error.hpp>
#include <ucm/pg/connection.hpp>

#include <fmt/format.h>

namespace ucm::pg {

// Everything both flavours share; only the wait differs.
struct PipelineRunner {
    Connection& c;
    PgConnection* conn = nullptr;
    bool doubt_after_send = false;

    // The checks that need no I/O: they throw before anything is sent.
    PgConnection& prepare() {
        conn = &leased_connection(c);
        if (c.context_->read_only_by_transaction) {
            // Wrapping each statement in BEGIN READ ONLY ... COMMIT cannot keep Independent
            // statements independent (a failure leaves the transaction aborted across Syncs).
            throw AccessDenied({.message = fmt::format("{}: pipelines are not available on read-only leases "
                                                       "behind PgBouncer (unnamed_statements_only); nothing "
                                                       "was sent; use execute() or a Session",
                                                       c.context_->endpoint),
                                .retriable = false,
                                .endpoint = c.context_->endpoint});
        }
        // As run_checked: autocommit statements on a lease that may write are in doubt once sent.
        doubt_after_send =
            c.context_->mode != ConnectionMode::ReadOnly && conn->tx_status() == PgConnection::TxStatus::idle;
        return *conn;
    }

    // Called from a catch handler: rethrows `e`, or InDoubt in its place when statements may have
    // reached the server and then the connection ended before their verdict.
    [[noreturn]] void failed(const PgPipeline& machine, const Error& e) {
        if (e.poisons_connection() || conn->is_bad()) c.lease_.mark_broken();
        if (doubt_after_send && machine.sent_any() && outcome_unknown(e)) {
            throw_in_doubt(c, "the pipeline", ending_of(e));
        }
        throw;
    }

    // Not a ucm::Error (a coroutine's cancellation, bad_alloc): a connection left mid-pipeline,
    // with results unread, is never pooled again; statements that may have committed are InDoubt.
    [[noreturn]] void abandoned(const PgPipeline& machine) {
        c.lease_.mark_broken();
        if (doubt_after_send && machine.sent_any()) throw_in_doubt(c, "the pipeline", "it was abandoned (cancelled)");
        throw;
    }

    std::vector<StatementOutcome> finished(PgPipeline& machine) {
        if (conn->is_bad()) c.lease_.mark_broken();  // a statement's FATAL ended the session
        if (doubt_after_send && conn->sync_rep_wait_cancelled()) {
            throw InDoubt(
                {.message = fmt::format("{}: a pipeline statement committed locally, but the wait for "
                                        "synchronous replication was cancelled; the standby may not "
                                        "have it",
                                        c.context_->endpoint),
                 .retriable = false,
                 .endpoint = c.context_->endpoint});
        }
        std::vector<StatementOutcome> outcomes = machine.take_outcomes();
        // The topology hears of statement errors too (25006 from a demoted primary, shutdowns).
        for (const auto& outcome : outcomes) {
            if (outcome.ok() || outcome.code() == Errc::pipeline_aborted) continue;
            try {
                std::rethrow_exception(outcome.error());
            } catch (const Error& e) {
                report(e);
            }
        }
        return outcomes;
    }

    void report(const Error& e) const {
        if (c.context_ && c.context_->on_error) c.context_->on_error(e);
    }

    void on_error(const Error& e) {
        if (e.poisons_connection() && c.lease_) c.lease_.mark_broken();
        report(e);
    }
};

std::vector<StatementOutcome> Connection::execute_pipeline(const Pipeline& pipeline, PipelineMode mode,
                                                           Deadline deadline) {
    PipelineRunner runner{*this};
    try {
        PgConnection& conn = runner.prepare();
        if (pipeline.empty()) return {};
        PgPipeline machine(conn, pipeline.statements(), mode);
        try {
            run_pipeline_blocking(machine, deadline);
        } catch (const Error& e) {
            runner.failed(machine, e);
        } catch (...) {
            runner.abandoned(machine);
        }
        return runner.finished(machine);
    } catch (const Error& e) {
        runner.on_error(e);
        throw;
    }
}

asio::awaitable<std::vector<StatementOutcome>> Connection::async_execute_pipeline(const Pipeline& pipeline,
                                                                                  PipelineMode mode,
                                                                                  Deadline deadline) {
    PipelineRunner runner{*this};
    std::vector<StatementOutcome> outcomes;
    try {
        PgConnection& conn = runner.prepare();
        if (!pipeline.empty()) {
            PgPipeline machine(conn, pipeline.statements(), mode);
            try {
                co_await async_run_pipeline(machine, deadline);
            } catch (const Error& e) {
                runner.failed(machine, e);
            } catch (...) {
                runner.abandoned(machine);
            }
            outcomes = runner.finished(machine);
        }
    } catch (const Error& e) {
        runner.on_error(e);
        throw;
    }
    co_return outcomes;
}

}  // namespace ucm::pg
