#pragma once

#include <ucm/core/config.hpp>
#include <ucm/export.hpp>
#include <ucm/manager/connection_manager.hpp>
#include <ucm/manager/retry_policy.hpp>
#include <ucm/redis/connection.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace ucm {

/// The one object a service uses for its PostgreSQL connectivity: pools per (endpoint, access),
/// modes with their presets and access policy, deadlines on every I/O, and background upkeep.
///
/// First cut: a single PostgreSQL endpoint (the first of `postgres.hosts`); the HA work adds
/// topology, routing and failover over the same pools.
///
/// Errors: the constructor throws ConfigInvalid for an invalid config (and, with
/// `manager.refuse_over_max_connections`, when the pools could exceed the server's
/// max_connections). Acquires throw AccessDenied, PoolTimeout, QueueFull, ConnectionFailed,
/// AuthFailed, ShutDown; a manager used in a child process after fork() throws ShutDown.
/// Thread safety: safe to share.
/// Lifetime: leases may outlive the manager; released afterwards, they just close.
///
/// @code
///   ucm::UnifiedConnectionManager manager(ucm::load_config("ucm.toml"));
///   auto total = manager.run_transaction([&](ucm::pg::Session& tx) {
///       tx.execute("UPDATE accounts SET balance = balance - 10 WHERE id = $1", std::int64_t{1});
///       return tx.execute("SELECT sum(balance) FROM accounts")[0].get<std::int64_t>(0);
///   });
/// @endcode
class UCM_EXPORT UnifiedConnectionManager final : public ConnectionManager {
public:
    explicit UnifiedConnectionManager(Config config);
    ~UnifiedConnectionManager() override;

    /// Runs `fn(session)` in a read-write transaction and commits; reruns the whole transaction
    /// on serialization failures and deadlocks (and on retriable failures before it began), never
    /// after COMMIT was sent. Returns what `fn` returns.
    template <class Fn>
    auto run_transaction(Fn&& fn, const pg::TransactionOptions& options = {}, const RetryPolicy& policy = {})
        -> std::invoke_result_t<Fn&, pg::Session&> {
        for (int attempt = 1;; ++attempt) {
            if (attempt > 1) std::this_thread::sleep_for(retry_backoff(policy, attempt));
            std::optional<pg::Session> tx;
            try {
                tx.emplace(connection(ConnectionMode::ReadWrite), options);
            } catch (const Error& e) {
                if (!e.retriable() || attempt >= policy.max_attempts) throw;
                continue;
            }
            try {
                if constexpr (std::is_void_v<std::invoke_result_t<Fn&, pg::Session&>>) {
                    fn(*tx);
                    tx->commit();
                    return;
                } else {
                    auto result = fn(*tx);
                    tx->commit();
                    return result;
                }
            } catch (const Error& e) {
                if (!retriable_in_transaction(e) || attempt >= policy.max_attempts) throw;
            }
        }
    }

    /// run_transaction() for coroutines: `fn(session)` returns an `asio::awaitable<T>`, and so does
    /// this. The same retry rules (serialization failures, deadlocks, retriable failures before the
    /// transaction began; never after COMMIT was sent), with the back-off waited on a timer.
    ///
    /// @code
    ///   auto debit = [&](ucm::pg::Session& tx) -> asio::awaitable<std::int64_t> {
    ///       co_await tx.async_execute("UPDATE accounts SET balance = balance - 10 WHERE id = $1", id);
    ///       auto rows = co_await tx.async_execute("SELECT sum(balance) FROM accounts");
    ///       co_return rows[0].get<std::int64_t>(0);
    ///   };  // named: g++ 12 mishandles a temporary lambda inside a co_await expression
    ///   std::int64_t total = co_await manager.async_run_transaction(debit);
    /// @endcode
    template <class Fn>
    auto async_run_transaction(Fn fn, pg::TransactionOptions options = {}, RetryPolicy policy = {})
        -> std::invoke_result_t<Fn&, pg::Session&> {
        using T = typename std::invoke_result_t<Fn&, pg::Session&>::value_type;
        for (int attempt = 1;; ++attempt) {
            if (attempt > 1) co_await async_retry_backoff(policy, attempt);
            std::optional<pg::Session> tx;
            try {
                tx.emplace(co_await async_session(ConnectionMode::ReadWrite, options));
            } catch (const Error& e) {
                if (!e.retriable() || attempt >= policy.max_attempts) throw;
                continue;
            }
            try {
                if constexpr (std::is_void_v<T>) {
                    co_await fn(*tx);
                    co_await tx->async_commit();
                    co_return;
                } else {
                    T result = co_await fn(*tx);
                    co_await tx->async_commit();
                    co_return result;
                }
            } catch (const Error& e) {
                if (!retriable_in_transaction(e) || attempt >= policy.max_attempts) throw;
            }
            // Roll back before the rerun, outside the handler (it cannot co_await): the failed
            // attempt's locks would block the rerun otherwise.
            co_await tx->async_rollback_quietly();
        }
    }

    /// redis() for coroutines, within pool.acquire_timeout: the same FIFO as threads, the caller's
    /// executor never blocked, cancellation safe (see async_connection()).
    [[nodiscard]] asio::awaitable<redis::Connection> async_redis(
        ConnectionMode mode, std::source_location site = std::source_location::current());

    /// ucm's internal executor: one thread, started on first use and stopped by shutdown(), shared
    /// with the Sentinel watcher. For services without an io_context of their own:
    /// `asio::co_spawn(manager.executor(), work(), asio::detached)`. The coroutine API itself runs
    /// on whatever executor the calling coroutine has; nothing may block on this one.
    [[nodiscard]] asio::any_io_executor executor();

    /// A pooled Redis connection for `mode` (the same access policy as connection()); its client
    /// name is "ucm/<mode>/<id>". ReadWrite and Admin leases go to the master; under Sentinel,
    /// ReadOnly leases go to a usable replica (the master when there is none), and while a
    /// failover is in progress master writes wait for its outcome (see docs/redis.md).
    /// Errors: ConfigInvalid when the config has no [redis]; AccessDenied, PoolTimeout (with the
    /// last connect error, e.g. no master known), QueueFull, AuthFailed, ConnectionFailed, ShutDown.
    [[nodiscard]] redis::Connection redis(ConnectionMode mode,
                                          std::source_location site = std::source_location::current());

    [[nodiscard]] ConnectionInfo connection_info() const override;
    [[nodiscard]] HealthReport health_check() override;
    bool shutdown(std::chrono::milliseconds wait) override;

    /// The configuration in force (validated, presets applied).
    [[nodiscard]] const Config& config() const noexcept;

protected:
    pg::Connection do_connection(ConnectionMode mode, std::source_location site) override;
    asio::awaitable<pg::Connection> do_async_connection(ConnectionMode mode, std::optional<Deadline> deadline,
                                                        std::source_location site) override;

private:
    class Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace ucm
