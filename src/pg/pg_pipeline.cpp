#include "pg/pg_pipeline.hpp"

#include "pg/pg_wait_poll.hpp"

#include <ucm/core/error.hpp>

#include <fmt/format.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ucm::pg {
namespace {

// Statements queued before the output buffer must drain again: bounds libpq's buffer (and so the
// memory of a 100,000-statement batch) and lets the driver yield between chunks.
constexpr std::size_t kChunkBytes = 256 * 1024;
constexpr std::size_t kMessageOverhead = 64;  // Parse/Bind/Describe/Execute headers, roughly

std::size_t wire_size(const Pipeline::Statement& statement) {
    std::size_t bytes = statement.sql.size() + kMessageOverhead;
    for (const auto& p : statement.params) bytes += p.value.size() + 8;
    return bytes;
}

// libpq 15 flushes at every PQpipelineSync (PQsendPipelineSync, which does not, came in 17): in
// Independent mode that is one TCP segment, and one server wake-up, per statement. Corking the
// socket while a chunk is queued sends the chunk as one. Harmless where it does not apply (a Unix
// socket refuses the option; the error is ignored).
void set_cork(int fd, bool on) noexcept {
    const int value = on ? 1 : 0;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

std::exception_ptr aborted_error(const std::string& endpoint, std::string_view why) {
    return std::make_exception_ptr(Error({.code = Errc::pipeline_aborted,
                                          .message = fmt::format("{}: not run: {}", endpoint, why),
                                          .retriable = false,
                                          .endpoint = endpoint}));
}

}  // namespace

PgPipeline::PgPipeline(PgConnection& conn, std::span<const Pipeline::Statement> statements, PipelineMode mode)
    : conn_(conn), statements_(statements), mode_(mode) {
    outcomes_.reserve(statements.size());
    conn_.enter_pipeline();
}

void PgPipeline::queue_chunk(PGconn* c) {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    while (next_ < statements_.size() && unflushed_ < kChunkBytes) {
        const Pipeline::Statement& statement = statements_[next_];
        types.clear();
        values.clear();
        lengths.clear();
        formats.clear();
        for (const auto& p : statement.params) {
            types.push_back(p.type_oid);
            values.push_back(p.is_null ? nullptr : p.value.c_str());
            lengths.push_back(static_cast<int>(p.value.size()));
            formats.push_back(p.binary ? 1 : 0);
        }
        // Unnamed statements: a batch of distinct texts would only churn the prepared cache.
        if (PQsendQueryParams(c, statement.sql.c_str(), static_cast<int>(types.size()), types.data(),
                              values.data(), lengths.data(), formats.data(), 0) == 0) {
            conn_.fail_io();
        }
        conn_.note_sent(statement.sql);
        ++next_;
        unflushed_ += wire_size(statement);
        if (mode_ == PipelineMode::Independent || next_ == statements_.size()) {
            if (PQpipelineSync(c) == 0) conn_.fail_io();
        }
    }
}

IoWait PgPipeline::step() {
    PGconn* c = conn_.handle();
    if (c == nullptr) conn_.fail_io();
    const bool corked = mode_ == PipelineMode::Independent && next_ < statements_.size();
    if (corked) set_cork(PQsocket(c), true);
    queue_chunk(c);
    if (corked) set_cork(PQsocket(c), false);  // pushes out what the Syncs flushed into the kernel
    const int flushed = PQflush(c);
    if (flushed < 0) conn_.fail_io();
    if (flushed == 0) unflushed_ = 0;
    // Read on every step, sent out or not: the server may be blocked writing results to us.
    if (PQconsumeInput(c) == 0) conn_.fail_io();
    if (read_results(c)) {
        if (PQexitPipelineMode(c) == 0) out_of_step("could not leave pipeline mode");
        return IoWait::none;
    }
    // Waiting to write is always waiting to read too: with the kernel's send buffer full the
    // server may be blocked writing results to us, and stop reading until we do.
    if (flushed == 1 || next_ < statements_.size()) return IoWait::read_write;
    return IoWait::read;
}

bool PgPipeline::read_results(PGconn* c) {
    bool idle_once = false;
    for (;;) {
        if (PQstatus(c) == CONNECTION_BAD) conn_.fail_io();
        if (PQisBusy(c) != 0) return false;
        PgResultPtr result(PQgetResult(c));
        if (!result) {
            if (in_results_) {
                finish_statement();
                continue;
            }
            // A NULL outside a statement's results: libpq either just advanced its queue (ask
            // again) or has nothing more until the server sends it.
            if (std::exchange(idle_once, true)) return false;
            continue;
        }
        idle_once = false;
        if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) {
            if (!awaiting_sync_) out_of_step("a Sync result arrived out of order");
            awaiting_sync_ = false;
            if (outcomes_.size() == statements_.size()) return true;
            continue;
        }
        if (awaiting_sync_ || outcomes_.size() >= statements_.size()) {
            out_of_step("a statement result arrived where a Sync was due");
        }
        in_results_ = true;
        record(std::move(result));
    }
}

void PgPipeline::record(PgResultPtr result) {
    switch (PQresultStatus(result.get())) {
        case PGRES_FATAL_ERROR:
            if (error_) break;
            try {
                conn_.throw_result_error(result.get());
            } catch (...) {
                error_ = std::current_exception();
            }
            if (!aborted_) {
                const char* sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
                aborted_ =
                    aborted_error(conn_.endpoint(),
                                  fmt::format("statement {} of this pipeline failed before it (SQLSTATE {})",
                                              outcomes_.size() + 1, sqlstate ? sqlstate : "none"));
            }
            break;
        case PGRES_PIPELINE_ABORTED:
            if (!aborted_)
                aborted_ = aborted_error(conn_.endpoint(), "an earlier statement of this pipeline failed");
            if (!error_) error_ = aborted_;
            break;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
            out_of_step("COPY is not supported in a pipeline");
        default:
            result_ = std::move(result);
    }
}

void PgPipeline::finish_statement() {
    in_results_ = false;
    if (error_ && error_ == aborted_) {
        // Thousands of skipped statements share one outcome instead of one rethrow each.
        if (!aborted_outcome_) aborted_outcome_ = StatementOutcome::failure(aborted_);
        outcomes_.push_back(*aborted_outcome_);
        error_ = nullptr;
    } else if (error_) {
        outcomes_.push_back(StatementOutcome::failure(std::exchange(error_, nullptr)));
    } else {
        outcomes_.push_back(StatementOutcome::success(make_result(std::move(result_))));
    }
    awaiting_sync_ = mode_ == PipelineMode::Independent || outcomes_.size() == statements_.size();
}

void PgPipeline::out_of_step(const char* what) {
    conn_.close();
    throw ConnectionFailed(
        {.message = fmt::format("{}: pipeline: {}; connection closed", conn_.endpoint(), what),
         .poisons_connection = true,
         .endpoint = conn_.endpoint()});
}

void run_pipeline_blocking(PgPipeline& pipeline, Deadline deadline) {
    PgConnection& conn = pipeline.connection();
    for (IoWait wait = pipeline.step(); wait != IoWait::none; wait = pipeline.step()) {
        // Checked here too: a socket that stays writable would let a long send run past it.
        if (SteadyClock::now() >= deadline || !wait_fd(conn.socket(), wait, deadline)) {
            deadline_passed(conn, OnDeadline::cancel_and_close);
        }
    }
}

}  // namespace ucm::pg
