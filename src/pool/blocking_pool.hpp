#pragma once
// The thread driver of the pool core: one mutex around PoolCore; each waiting thread sleeps on its
// own condition variable until it is granted a connection or its deadline passes. Nothing is
// opened, pinged, reset or closed while the mutex is held: the core reserves the slot under the
// lock, and the thread that got it does the I/O after unlocking (redis++'s Connection::Dummy trick).

#include "pool/pool_clock.hpp"

#include <ucm/pool/lease.hpp>
#include <ucm/pool/pool_observer.hpp>
#include <ucm/pool/pool_options.hpp>
#include <ucm/pool/pool_stats.hpp>
#include <ucm/pool/pooled_resource.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

namespace ucm::pool {

/// Everything a BlockingPool is built from.
struct BlockingPoolSetup {
    PoolOptions options{};
    ResourceFactory factory{};         ///< opens one connection (see ResourceFactory)
    /// Opens one connection for a coroutine's acquire; empty: `factory` runs on ucm's
    /// blocking-work threads instead. min_idle opens and threads' acquires always use `factory`.
    AsyncResourceFactory async_factory{};
    std::string endpoint{};            ///< "host:port" for messages; never credentials
    PoolObserver* observer = nullptr;  ///< null: no hooks; else must outlive the BlockingPool object
    // Observer and clock must outlive every lease of the pool too: a lease released on another
    // thread while the pool is destroyed may still be inside a callback.
    const Clock* clock = nullptr;      ///< null: the coarse monotonic clock; else outlives it too
    std::uint64_t jitter_seed = 0;     ///< seed of the lifetime jitter; 0 picks a random one
};

/// A connection pool for blocking callers, over the sans-io PoolCore.
///
/// Errors: acquire throws PoolTimeout (deadline passed; the message names the endpoint, the sizes,
/// the connections in use, the waiters and, while connects fail, the last connect error),
/// QueueFull (max_waiters reached), ShutDown, or the factory's own non-retriable error (e.g.
/// AuthFailed). A dead idle connection is replaced without the caller seeing an error.
/// Thread safety: safe to share.
/// Lifetime: leases may outlive the pool; destroying the pool shuts it down (waiters fail with
/// ShutDown, idle connections close) and the last lease returned frees what remains. The observer
/// and clock are not called once the pool object is destroyed.
class BlockingPool {
  public:
    /// Throws ConfigInvalid if `setup.options` is out of range. Opens no connection (see maintain).
    explicit BlockingPool(BlockingPoolSetup setup);
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;
    ~BlockingPool();

    /// A connection within options.acquire_timeout.
    [[nodiscard]] Lease acquire(std::source_location site = std::source_location::current());
    /// A connection within `timeout` (zero: only if one is free at once).
    [[nodiscard]] Lease acquire_for(std::chrono::milliseconds timeout,
                                    std::source_location site = std::source_location::current());
    /// A connection by `deadline`, a point on the pool's clock.
    [[nodiscard]] Lease acquire_until(TimePoint deadline,
                                      std::source_location site = std::source_location::current());

    /// acquire_until() for coroutines, in the same FIFO as threads. The caller's executor never
    /// blocks: a warm connection is checked out on it; connects, pings of long-idle connections and
    /// closes run on ucm's blocking-work threads. Cancelling the awaiting coroutine (or destroying
    /// it) withdraws the request; a connection granted to it meanwhile goes back to the pool.
    /// Errors: those of acquire(); asio::system_error (operation_aborted) when cancelled.
    [[nodiscard]] asio::awaitable<Lease> async_acquire_until(
        TimePoint deadline, std::source_location site = std::source_location::current());

    /// Background upkeep, for a periodic task: times out waiters, retries connects after the
    /// back-off, closes expired, stale and surplus idle connections, reports leaks, and opens
    /// connections up to min_idle (blocking on those connects, one after another).
    void maintain();

    /// Sets the generation (a role change): idle connections of older generations close now,
    /// leased ones when released.
    void set_generation(std::uint64_t generation);
    /// set_generation(generation() + 1); returns the new generation.
    std::uint64_t bump_generation();
    /// Changes min_idle (capped at size); the next maintain() opens up to it or lets extra
    /// idle connections age out. For a router that keeps only the current primary warm.
    void set_min_idle(std::size_t min_idle);

    /// New acquires fail with ShutDown, waiters are woken with it, idle connections close; then
    /// waits up to `wait` for leases to come back. True if everything was returned and closed.
    bool shutdown(std::chrono::milliseconds wait);

    [[nodiscard]] PoolStats stats() const;
    /// Leases held longer than leak_threshold, with their acquire sites.
    [[nodiscard]] std::vector<LeakReport> long_holders() const;
    /// The most recent connect failure's message (empty if none).
    [[nodiscard]] std::string last_connect_error() const;
    [[nodiscard]] const std::string& endpoint() const noexcept;

  private:
    class Impl;
    Impl* impl_;  // not a unique_ptr: it deletes itself once the pool is gone and its last lease back
};

}  // namespace ucm::pool
