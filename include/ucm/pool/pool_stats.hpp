#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <source_location>

namespace ucm::pool {

/// Number of buckets of the acquire-wait histogram.
inline constexpr std::size_t kAcquireWaitBuckets = 10;

/// Exclusive upper bounds of the acquire-wait buckets, in microseconds; the last bucket has none.
/// An acquire served from an idle connection without queueing counts as a wait of zero.
inline constexpr std::array<std::int64_t, kAcquireWaitBuckets - 1> kAcquireWaitBoundsUs{
    100, 1'000, 5'000, 10'000, 50'000, 100'000, 500'000, 1'000'000, 5'000'000};

/// The bucket an acquire that waited `wait` falls in.
constexpr std::size_t acquire_wait_bucket(std::chrono::nanoseconds wait) noexcept {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(wait).count();
    std::size_t i = 0;
    while (i < kAcquireWaitBoundsUs.size() && us >= kAcquireWaitBoundsUs[i]) ++i;
    return i;
}

/// A snapshot of one pool: gauges first, then counters since the pool was created.
///
/// Thread safety: a value type; const access is safe to share.
struct PoolStats {
    /// Connections open, opening or closing; never above size + max_overflow. Unit: connections.
    std::uint64_t total = 0;
    /// Open connections waiting in the pool for a lease. Unit: connections.
    std::uint64_t idle = 0;
    /// Connections on loan to a Lease. Unit: connections.
    std::uint64_t in_use = 0;
    /// Connect attempts in flight. Unit: connections.
    std::uint64_t opening = 0;
    /// Connections being closed (they still count against the limit). Unit: connections.
    std::uint64_t closing = 0;
    /// Acquires queued for a connection. Unit: requests.
    std::uint64_t waiting = 0;
    /// How far `total` is above `size` (overflow connections that exist). Unit: connections.
    std::uint64_t overflow_in_use = 0;
    /// The pool's generation; connections of older generations are closed. Unit: number.
    std::uint64_t generation = 0;

    /// Connections opened successfully. Unit: connections, cumulative.
    std::uint64_t created = 0;
    /// Connections closed (broken, expired, idle, overflow, stale, dead or shut down). Unit:
    /// connections, cumulative.
    std::uint64_t closed = 0;
    /// Leases handed out. Unit: leases, cumulative.
    std::uint64_t acquired = 0;
    /// Leases returned. Unit: leases, cumulative.
    std::uint64_t released = 0;
    /// Acquires failed with Errc::pool_timeout. Unit: requests, cumulative.
    std::uint64_t timeouts = 0;
    /// Acquires failed with Errc::queue_full. Unit: requests, cumulative.
    std::uint64_t queue_full = 0;
    /// Acquires failed with Errc::shut_down. Unit: requests, cumulative.
    std::uint64_t rejected_shut_down = 0;
    /// Connections found dead at checkout (is_alive or ping) and replaced. Unit: connections,
    /// cumulative.
    std::uint64_t liveness_failures = 0;
    /// Leases reported as held longer than leak_threshold (each lease at most once). Unit: leases,
    /// cumulative.
    std::uint64_t leaks_suspected = 0;
    /// Connect attempts that failed. Unit: attempts, cumulative.
    std::uint64_t connect_failures = 0;
    /// Successful acquires by wait, bucketed by kAcquireWaitBoundsUs. Unit: acquires, cumulative.
    std::array<std::uint64_t, kAcquireWaitBuckets> acquire_wait{};
};

/// A lease held longer than the pool's leak_threshold.
///
/// Thread safety: a value type; const access is safe to share.
struct LeakReport {
    std::uint32_t slot = 0;              ///< the pool slot on loan
    std::source_location acquired_at{};  ///< the caller's acquire site
    std::chrono::nanoseconds held{};     ///< how long it has been held so far
};

}  // namespace ucm::pool
