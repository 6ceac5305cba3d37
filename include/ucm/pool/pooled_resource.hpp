#pragma once

#include <ucm/core/deadline.hpp>
#include <ucm/export.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace ucm::pool {

/// What `PooledResource::reset()` found when a lease came back.
enum class ResetResult : std::uint8_t {
    Clean,      ///< back in a known clean state: it may be pooled again
    MustClose,  ///< broken, busy or in an unknown state: the pool closes it
};

/// The interface a driver's connection implements so that one pool serves PostgreSQL and Redis
/// alike. Type erasure keeps the drivers out of the pool's templates (there are none).
///
/// The pool calls these without holding its lock, and never two at once on one resource.
/// Thread safety: not thread-safe; one owner at a time (the pool, or the lease holding it).
class UCM_EXPORT PooledResource {
  public:
    PooledResource() = default;
    PooledResource(const PooledResource&) = delete;
    PooledResource& operator=(const PooledResource&) = delete;
    virtual ~PooledResource() = default;

    /// Cheap liveness check at every checkout: no round trip, nothing that can block (for libpq:
    /// PQconsumeInput + PQstatus + transaction status). False: the pool discards the connection
    /// and opens a replacement; the caller never sees the failure.
    [[nodiscard]] virtual bool is_alive() noexcept = 0;

    /// A round trip, made at checkout when the connection sat idle past `validate_after_idle`.
    /// False (including a missed deadline) is handled like a failed `is_alive()`.
    [[nodiscard]] virtual bool ping(Deadline deadline) noexcept = 0;

    /// Brings the connection back to a clean state at release (for libpq: ROLLBACK an open or
    /// failed transaction; MustClose for anything broken, mid-COPY, mid-pipeline or unknown).
    [[nodiscard]] virtual ResetResult reset(Deadline deadline) noexcept = 0;

    /// True when reset() would finish without a round trip (nothing to roll back or clean up). A
    /// lease taken by a coroutine is reset where it is released only then; otherwise on ucm's
    /// blocking-work threads, so that a coroutine's executor never waits for the server.
    [[nodiscard]] virtual bool reset_is_free() noexcept { return false; }

    /// Closes the connection without waiting on the peer. Called once, just before destruction.
    virtual void close() noexcept = 0;
};

/// Opens one connection by `deadline`. It may throw: a `ucm::Error` that is not retriable (such
/// as AuthFailed) fails the acquire that asked for the connection at once; anything else is
/// retried until the acquire deadline, and its message is quoted in the PoolTimeout. Called
/// without any pool lock held, possibly from several threads at once.
using ResourceFactory = std::function<std::unique_ptr<PooledResource>(Deadline deadline)>;

/// A ResourceFactory for coroutines: opens one connection by `deadline` without blocking the
/// calling coroutine's executor. Same errors; a cancellation of the caller propagates
/// (asio::system_error with operation_aborted) and leaves nothing open.
using AsyncResourceFactory = std::function<asio::awaitable<std::unique_ptr<PooledResource>>(Deadline deadline)>;

}  // namespace ucm::pool
