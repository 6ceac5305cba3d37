#pragma once

#include <ucm/core/modes.hpp>
#include <ucm/export.hpp>
#include <ucm/health/health_report.hpp>
#include <ucm/pg/connection.hpp>
#include <ucm/pg/session.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

namespace ucm {

/// What a manager is and holds: its mode, its name, and every pool with its counters.
struct ConnectionInfo {
    ManagerMode mode = ManagerMode::AsyncModern;
    std::string id{};                       ///< the manager id from the config
    std::string application_name{};        ///< "ucm/<mode>/<id>", as pg_stat_activity shows it
    AccessSet allowed_access{};             ///< ConnectionModes callers may request
    std::vector<EndpointHealth> endpoints{};  ///< per endpoint, its pools (no probe is made)
    std::vector<PoolHealth> redis_pools{};    ///< the Redis master's pools; empty without Redis
};

/// The abstract interface of a connection manager (the "protocol" of the original design), so
/// that code can take any manager, including a test double.
///
/// Thread safety: implementations are safe to share.
class UCM_EXPORT ConnectionManager {
public:
    ConnectionManager() = default;
    ConnectionManager(const ConnectionManager&) = delete;
    ConnectionManager& operator=(const ConnectionManager&) = delete;
    virtual ~ConnectionManager() = default;

    /// A pooled PostgreSQL connection for `mode`.
    /// Errors: AccessDenied, PoolTimeout, QueueFull, ConnectionFailed, AuthFailed, ShutDown.
    [[nodiscard]] pg::Connection connection(ConnectionMode mode,
                                            std::source_location site = std::source_location::current()) {
        return do_connection(mode, site);
    }
    /// A transaction scope (BEGIN now; COMMIT only by commit(); ROLLBACK otherwise). A ReadOnly
    /// session always begins READ ONLY, which also guards connections behind PgBouncer, where
    /// read-only startup options cannot be used.
    [[nodiscard]] pg::Session session(ConnectionMode mode, const pg::TransactionOptions& options = {},
                                      std::source_location site = std::source_location::current()) {
        pg::TransactionOptions effective = options;
        if (mode == ConnectionMode::ReadOnly) effective.read_only = true;
        return pg::Session(do_connection(mode, site), effective);
    }
    /// connection() for coroutines: `co_await manager.async_connection(mode)`, within
    /// pool.acquire_timeout (or by `deadline`). The request joins the same FIFO as threads; the
    /// caller's executor is never blocked (connects run on ucm's blocking-work threads). Cancelling
    /// the awaiting coroutine withdraws the request: no connection is taken or leaked.
    /// Errors: those of connection(); asio::system_error (operation_aborted) when cancelled.
    [[nodiscard]] asio::awaitable<pg::Connection> async_connection(
        ConnectionMode mode, std::source_location site = std::source_location::current()) {
        return do_async_connection(mode, std::nullopt, site);
    }
    [[nodiscard]] asio::awaitable<pg::Connection> async_connection(
        ConnectionMode mode, Deadline deadline, std::source_location site = std::source_location::current()) {
        return do_async_connection(mode, deadline, site);
    }
    /// session() for coroutines: BEGIN is sent before it completes.
    [[nodiscard]] asio::awaitable<pg::Session> async_session(
        ConnectionMode mode, pg::TransactionOptions options = {},
        std::source_location site = std::source_location::current()) {
        if (mode == ConnectionMode::ReadOnly) options.read_only = true;
        pg::Connection connection = co_await do_async_connection(mode, std::nullopt, site);
        co_return co_await pg::Session::async_begin(std::move(connection), options);
    }

    /// Mode, endpoints and pool counters; makes no network call.
    [[nodiscard]] virtual ConnectionInfo connection_info() const = 0;
    /// Probes every endpoint now and reports.
    [[nodiscard]] virtual HealthReport health_check() = 0;
    /// New acquires fail with ShutDown and waiters are woken with it; outstanding leases are
    /// awaited up to `wait`; then everything is closed. True if every lease came back in time.
    virtual bool shutdown(std::chrono::milliseconds wait) = 0;

protected:
    virtual pg::Connection do_connection(ConnectionMode mode, std::source_location site) = 0;
    virtual asio::awaitable<pg::Connection> do_async_connection(ConnectionMode mode, std::optional<Deadline> deadline,
                                                                std::source_location site) = 0;
};

}  // namespace ucm
