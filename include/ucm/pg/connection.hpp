#pragma once

#include <ucm/core/deadline.hpp>
#include <ucm/core/error.hpp>
#include <ucm/core/modes.hpp>
#include <ucm/export.hpp>
#include <ucm/pg/param.hpp>
#include <ucm/pg/pipeline.hpp>
#include <ucm/pg/result.hpp>
#include <ucm/pool/lease.hpp>

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::pg {

/// What the manager tells a leased connection about itself; shared by all leases of one pool.
struct LeaseContext {
    ConnectionMode mode = ConnectionMode::ReadWrite;
    std::string endpoint{};                     ///< "host:port"
    std::chrono::milliseconds query_timeout{30'000};  ///< default deadline of each statement
    /// Wrap each autocommit statement in BEGIN READ ONLY ... COMMIT: read-only leases behind
    /// PgBouncer, which rejects the read-only startup option (two more round trips per statement).
    bool read_only_by_transaction = false;
    /// The endpoint's generation, bumped when it changes role; a lease taken in an older one
    /// refuses to send (retriably) and is closed on release. Null: no check.
    std::shared_ptr<const std::atomic<std::uint64_t>> generation{};
    /// Told of every error on a lease of this pool (the topology reacts to broken sockets,
    /// shutdowns and 25006). Must not throw.
    std::function<void(const Error&)> on_error{};
};

/// One pooled PostgreSQL connection on loan (RAII): returned to its pool when destroyed.
///
/// Every statement has a deadline (the manager's query timeout unless given). An error that
/// poisons the connection (a broken socket, a FATAL, a missed deadline) marks it so it is closed
/// instead of pooled.
///
/// Errors: QueryFailed (with sqlstate()), Error with Errc::read_only_violation (25006),
/// ConnectionFailed, DeadlineExceeded, and InDoubt when an autocommit statement on a read-write
/// lease (or a COMMIT) was sent and then its deadline passed or its connection broke: it may or
/// may not have been applied, and it is never retried.
/// Thread safety: not thread-safe; move it, do not share it.
/// Lifetime: may outlive the manager; its release then just closes the connection.
///
/// @code
///   auto conn = manager.connection(ucm::ConnectionMode::ReadWrite);
///   auto rows = conn.execute("SELECT id FROM orders WHERE customer = $1", std::int64_t{42});
///   for (auto row : rows) use(row.get<std::int64_t>("id"));
/// @endcode
class UCM_EXPORT Connection {
public:
    Connection() noexcept = default;
    /// For the manager: wraps a lease of a PostgreSQL pool, taken in endpoint `generation`.
    Connection(pool::Lease lease, std::shared_ptr<const LeaseContext> context,
               std::uint64_t generation = 0) noexcept;
    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;
    ~Connection() = default;

    /// Runs one statement with typed parameters ($1, $2, ...) within the query timeout.
    template <class... Args>
    Result execute(std::string_view sql, const Args&... args) {
        const auto ps = params(args...);
        return execute_params(sql, ps, deadline_after(context_->query_timeout));
    }
    /// Runs one statement with encoded parameters by `deadline`.
    Result execute_params(std::string_view sql, std::span<const Param> params, Deadline deadline);

    /// Runs a parameterless command through the simple protocol (several statements allowed).
    Result execute_simple(std::string_view sql, Deadline deadline);

    /// Sends every statement of `pipeline` in libpq pipeline mode (one round trip for the batch)
    /// and returns one outcome per statement, in order; a failed statement is reported in its
    /// outcome, not thrown. See PipelineMode for what a failure does to the others.
    ///
    /// Errors (thrown, for the pipeline as a whole): ConnectionFailed (no lease, generation
    /// changed, broken socket), DeadlineExceeded, AccessDenied on a read-only lease behind
    /// PgBouncer (`read_only_by_transaction`: nothing is sent), and InDoubt instead of the first
    /// two when the lease may write, was outside a transaction, and statements were sent.
    /// Lifetime: `pipeline` must outlive the call (for the coroutine: until it completes).
    std::vector<StatementOutcome> execute_pipeline(const Pipeline& pipeline, PipelineMode mode,
                                                   Deadline deadline);
    /// execute_pipeline() for coroutines; on cancellation the server-side work is cancelled and the
    /// connection closed.
    asio::awaitable<std::vector<StatementOutcome>> async_execute_pipeline(const Pipeline& pipeline,
                                                                         PipelineMode mode,
                                                                         Deadline deadline);

    /// execute() for coroutines: the same rules and errors; the executor is never blocked.
    /// Cancelling the awaiting coroutine cancels the statement on the server and closes the
    /// connection (a COMMIT is never cancelled: see Session::async_commit). `co_await` it in the
    /// full expression that makes it: `sql` and `args` are read when it first runs.
    template <class... Args>
    asio::awaitable<Result> async_execute(std::string_view sql, const Args&... args) {
        const auto ps = params(args...);
        co_return co_await async_execute_params(sql, ps, deadline_after(context_->query_timeout));
    }
    /// execute_params() for coroutines.
    asio::awaitable<Result> async_execute_params(std::string_view sql, std::span<const Param> params,
                                                 Deadline deadline);
    /// execute_simple() for coroutines.
    asio::awaitable<Result> async_execute_simple(std::string_view sql, Deadline deadline);

    [[nodiscard]] ConnectionMode mode() const noexcept { return context_->mode; }
    [[nodiscard]] const std::string& endpoint() const noexcept { return context_->endpoint; }
    [[nodiscard]] std::chrono::milliseconds query_timeout() const noexcept { return context_->query_timeout; }
    /// The server process serving this connection (pg_stat_activity.pid).
    [[nodiscard]] int backend_pid() const;
    /// True while the lease holds a connection.
    explicit operator bool() const noexcept { return static_cast<bool>(lease_); }

    /// Returns the connection to its pool now.
    void release() noexcept { lease_.release(); }
    /// Closes the connection instead of pooling it.
    void release_broken() noexcept { lease_.release_broken(); }

private:
    friend class Session;
    friend struct StatementRunner;  // statement_runner.hpp: the rules both drivers share
    friend struct PipelineRunner;  // connection_pipeline.cpp
    enum class Kind : std::uint8_t { statement, commit, begin_or_rollback };
    Result run(std::string_view sql, std::span<const Param> params, Deadline deadline, bool simple, Kind kind);
    Result run_checked(std::string_view sql, std::span<const Param> params, Deadline deadline, bool simple,
                       Kind kind);
    asio::awaitable<Result> async_run(std::string_view sql, std::span<const Param> params, Deadline deadline,
                                      bool simple, Kind kind);
    void check_generation();

    pool::Lease lease_;
    std::shared_ptr<const LeaseContext> context_;
    std::uint64_t generation_ = 0;
};

}  // namespace ucm::pg
