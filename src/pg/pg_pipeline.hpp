#pragma once
// libpq pipeline mode as a state machine beside PgConnection's (same contract: each step does what
// it can without blocking and says what the socket must become ready for), and its two drivers:
// poll() for the blocking API and Asio for coroutines.
//
// Statements are queued in chunks and flushing is interleaved with reading, so a batch larger than
// the socket buffers cannot deadlock against a server blocked on writing results nobody reads.

#include "pg/pg_connection.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/pg/pipeline.hpp>

#include <asio/awaitable.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <vector>

namespace ucm::pg {

/// One pipeline in flight on a connection.
/// Thread safety: not thread-safe. Lifetime: `conn` and the statements must outlive it.
class PgPipeline {
  public:
    /// Enters pipeline mode; throws ConnectionFailed if libpq refuses (nothing is sent then).
    PgPipeline(PgConnection& conn, std::span<const Pipeline::Statement> statements, PipelineMode mode);

    /// Queues the next chunk, flushes, reads what arrived. IoWait::none once every outcome is in
    /// and pipeline mode is left. Throws ConnectionFailed (the connection is then bad).
    IoWait step();
    /// Whether any statement was handed to libpq (and so may have reached the server).
    [[nodiscard]] bool sent_any() const noexcept { return next_ > 0; }
    /// Statements whose outcome is known so far.
    [[nodiscard]] std::size_t completed() const noexcept { return outcomes_.size(); }
    std::vector<StatementOutcome> take_outcomes() { return std::move(outcomes_); }
    PgConnection& connection() noexcept { return conn_; }

  private:
    void queue_chunk(PGconn* c);
    bool read_results(PGconn* c);  // true once the last Sync's result arrived
    void record(PgResultPtr result);
    void finish_statement();
    [[noreturn]] void out_of_step(const char* what);

    PgConnection& conn_;
    std::span<const Pipeline::Statement> statements_;
    PipelineMode mode_;
    std::vector<StatementOutcome> outcomes_;
    std::size_t next_ = 0;        // the next statement to queue
    std::size_t unflushed_ = 0;   // bytes queued since libpq's output buffer was last empty
    bool in_results_ = false;     // a result of statement outcomes_.size() arrived; its NULL is next
    bool awaiting_sync_ = false;  // the statement just read was followed by a Sync
    PgResultPtr result_;          // the current statement's result so far
    std::exception_ptr error_;    // ... or its error
    std::exception_ptr aborted_;  // shared by the statements an Atomic failure skipped
    std::optional<StatementOutcome> aborted_outcome_;
};

/// Runs `pipeline` to the end with poll(). On a missed deadline the command is cancelled on the
/// server, the connection closed and DeadlineExceeded thrown.
void run_pipeline_blocking(PgPipeline& pipeline, Deadline deadline);

/// The same on the coroutine's executor. If the coroutine is cancelled, the command is cancelled
/// on the server, the connection closed and the cancellation rethrown.
asio::awaitable<void> async_run_pipeline(PgPipeline& pipeline, Deadline deadline);

}  // namespace ucm::pg
