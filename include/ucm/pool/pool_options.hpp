#pragma once

#include <ucm/export.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace ucm::pool {

inline constexpr std::size_t kDefaultPoolSize = 10;  ///< DESIGN "Modes" presets override it
inline constexpr std::size_t kDefaultMaxOverflow = 5;
inline constexpr std::size_t kDefaultMaxWaiters = 100'000;  ///< DESIGN "Defaults"
inline constexpr std::size_t kMaxPoolSlots = 11'000;        ///< size + max_overflow upper bound

/// The resolved settings of one pool: what `ucm::PoolOptions` (the TOML table `[pool]`) becomes
/// once the manager has filled in its mode's preset sizes and the driver's connect timeout. Field
/// names and meanings follow `ucm::PoolOptions`; the pool-internal knobs come last.
///
/// Thread safety: a value type; const access is safe to share.
struct PoolOptions {
    /// Persistent connections of this pool; 1..10000.
    std::size_t size = kDefaultPoolSize;
    /// Extra connections opened under load beyond `size`, closed on release when no waiter needs
    /// them (SQLAlchemy QueuePool); 0..1000.
    std::size_t max_overflow = kDefaultMaxOverflow;
    /// Idle connections kept open by `maintain()` even when unused; 0..size.
    std::size_t min_idle = 0;
    /// Waiters allowed in the FIFO queue; more fail at once with Errc::queue_full. 0 means "never
    /// wait": an acquire with no free connection fails immediately.
    std::size_t max_waiters = kDefaultMaxWaiters;
    /// How long an acquire may take, queueing and connecting included, before Errc::pool_timeout; > 0.
    std::chrono::milliseconds acquire_timeout{5'000};
    /// Deadline of one connect attempt (further capped by the acquire deadline of the waiter that
    /// makes it); > 0.
    std::chrono::milliseconds connect_timeout{5'000};
    /// After a failed connect, no new connect starts for this long, and only one at a time until a
    /// connect succeeds again, so a dead server sees a trickle and not a storm; >= 0.
    std::chrono::milliseconds connect_retry_interval{250};
    /// A failed connect fails the acquire that asked for it at once, with the connect's own error,
    /// instead of retrying until the acquire deadline: for a router above the pool that would
    /// rather choose another endpoint or wait for rediscovery.
    bool fail_fast_connect = false;
    /// Deadline of `PooledResource::reset()` at release (for PostgreSQL: the ROLLBACK); > 0.
    std::chrono::milliseconds reset_timeout{5'000};
    /// A connection idle this long is pinged at checkout; >= 0, and 0 pings at every checkout.
    /// Every checkout also gets the nonblocking `is_alive()` check.
    std::chrono::milliseconds validate_after_idle{30'000};
    /// `maintain()` closes connections idle this long, down to `min_idle`; > 0. Unset: never.
    std::optional<std::chrono::milliseconds> idle_timeout{std::chrono::minutes{10}};
    /// Connections this old are closed when next idle or released; > 0. Unset: never expire.
    std::optional<std::chrono::milliseconds> max_lifetime{std::chrono::minutes{30}};
    /// Each connection's lifetime is shortened by a random fraction in [0, this), so connections
    /// opened together do not expire together; 0.0..0.5 (0.025 = DESIGN's "-2.5 %").
    double lifetime_jitter = 0.025;
    /// A lease held this long is reported once (observer, counter, `long_holders()`); > 0.
    /// Unset: never reported.
    std::optional<std::chrono::milliseconds> leak_threshold{std::chrono::seconds{60}};

    bool operator==(const PoolOptions&) const = default;
};

/// Checks every field's range, throwing ConfigInvalid naming it (e.g.
/// "pool.min_idle: must be <= size (10), got 12"). The pool constructors call it.
///
/// Errors: Errc::config_invalid.
UCM_EXPORT void validate(const PoolOptions& options);

}  // namespace ucm::pool
