#pragma once

#include <ucm/core/deadline.hpp>
#include <ucm/export.hpp>
#include <ucm/pg/connection.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <string_view>

namespace ucm::pg {

enum class IsolationLevel : std::uint8_t { Default, ReadCommitted, RepeatableRead, Serializable };

/// How a transaction is opened (`BEGIN ISOLATION LEVEL ... READ ONLY DEFERRABLE`).
struct TransactionOptions {
    IsolationLevel isolation = IsolationLevel::Default;  ///< Default: the server's setting
    bool read_only = false;                              ///< BEGIN ... READ ONLY
    bool deferrable = false;  ///< DEFERRABLE (only meaningful with Serializable + read_only)

    bool operator==(const TransactionOptions&) const = default;
};

/// A transaction scope on a leased connection: BEGIN when made, COMMIT only by an explicit
/// `commit()`, ROLLBACK when it ends without one (normally or by an exception).
///
/// Errors: as Connection; `commit()` throws InDoubt when COMMIT was sent and its deadline passed,
/// its connection broke, or the server warned that the wait for synchronous replication was
/// cancelled (committed locally, maybe not on the standby). A COMMIT answered with the tag
/// ROLLBACK (the transaction had failed) throws QueryFailed with SQLSTATE 40000. COMMIT is never
/// cancelled.
/// Thread safety: not thread-safe; move it, do not share it.
///
/// @code
///   auto tx = manager.session(ucm::ConnectionMode::ReadWrite);
///   tx.execute("INSERT INTO orders(id) VALUES ($1)", id);
///   tx.commit();   // without this line, the insert is rolled back
/// @endcode
class UCM_EXPORT Session {
public:
    /// Sends BEGIN with `options` on `connection`.
    Session(Connection connection, const TransactionOptions& options);
    /// The same from a coroutine (the executor never blocks).
    [[nodiscard]] static asio::awaitable<Session> async_begin(Connection connection, TransactionOptions options);
    Session(Session&&) noexcept = default;
    Session& operator=(Session&&) = delete;
    ~Session();

    template <class... Args>
    Result execute(std::string_view sql, const Args&... args) {
        return connection_.execute(sql, args...);
    }
    Result execute_params(std::string_view sql, std::span<const Param> params, Deadline deadline) {
        return connection_.execute_params(sql, params, deadline);
    }

    /// execute() for coroutines (Connection::async_execute).
    template <class... Args>
    asio::awaitable<Result> async_execute(std::string_view sql, const Args&... args) {
        return connection_.async_execute(sql, args...);
    }

    /// commit() for coroutines. COMMIT is never cancelled: a cancellation of the awaiting coroutine
    /// waits for COMMIT's answer (bounded by `deadline`), which is reported as usual; the
    /// cancellation takes effect at the coroutine's next suspension.
    asio::awaitable<void> async_commit();
    asio::awaitable<void> async_commit(Deadline deadline);
    /// rollback() for coroutines. Without it, a session that ends unfinished is rolled back when
    /// its lease is released (on ucm's blocking-work threads for a coroutine's lease).
    asio::awaitable<void> async_rollback();
    /// async_rollback() that never throws: on failure the connection is closed instead of pooled
    /// (the server then rolls back). For cleaning up after a failure that is being handled.
    asio::awaitable<void> async_rollback_quietly() noexcept;

    /// Commits within the query timeout. After it, the session is finished.
    void commit();
    /// Commits by `deadline`.
    void commit(Deadline deadline);
    /// Rolls back now (the destructor would anyway). After it, the session is finished.
    void rollback();

    [[nodiscard]] bool finished() const noexcept { return finished_; }
    [[nodiscard]] Connection& connection() noexcept { return connection_; }

private:
    struct Begun {};
    Session(Connection connection, Begun) noexcept : connection_(std::move(connection)) {}
    Connection connection_;
    bool finished_ = false;
};

/// The BEGIN statement for `options`.
[[nodiscard]] UCM_EXPORT std::string begin_statement(const TransactionOptions& options);

}  // namespace ucm::pg
