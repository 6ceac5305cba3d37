#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace ucm {

inline constexpr std::size_t kMaxPoolSize = 10'000;     ///< upper bound of PoolOptions::size
inline constexpr std::size_t kMaxPoolOverflow = 1'000;  ///< upper bound of PoolOptions::max_overflow
inline constexpr std::size_t kDefaultMaxWaiters = 100'000;
inline constexpr double kMaxLifetimeJitter = 0.5;

/// Sizing and lifetime of every connection pool (TOML table `[pool]`). Sizes are per
/// (endpoint, access) pool: the primary's read-write pool, each standby's read-only pool, and so on.
///
/// Thread safety: a value type; const access is safe to share.
struct PoolOptions {
    /// Connections kept per pool; 1..10000. Unset: the manager mode's preset (DESIGN "Modes").
    std::optional<std::size_t> size{};
    /// Extra connections opened under load beyond `size`, closed on release; 0..1000.
    /// Unset: the manager mode's preset.
    std::optional<std::size_t> max_overflow{};
    /// Idle connections kept open even when unused; 0..size. Idle connections are reused LIFO, so
    /// the surplus above this ages out through `idle_timeout`.
    std::size_t min_idle = 0;
    /// How long an acquire waits in the FIFO queue before failing with Errc::pool_timeout; > 0.
    std::chrono::milliseconds acquire_timeout{5'000};
    /// Waiters allowed in the queue per pool; more fail at once with Errc::queue_full. 0 means
    /// "never wait": an acquire with no free connection fails immediately.
    std::size_t max_waiters = kDefaultMaxWaiters;
    /// Closes connections idle this long, down to `min_idle`; > 0. Unset: never closed for idling.
    std::optional<std::chrono::milliseconds> idle_timeout{std::chrono::minutes{10}};
    /// Closes connections this old at their next release; > 0. Unset: connections never expire.
    std::optional<std::chrono::milliseconds> max_lifetime{std::chrono::minutes{30}};
    /// Each connection's lifetime is shortened by a random fraction up to this, so connections
    /// opened together do not expire together; 0.0..0.5 (0.025 = DESIGN's "−2.5 %").
    double lifetime_jitter = 0.025;
    /// A connection idle longer than this is pinged at checkout; >= 0, and 0 pings at every checkout.
    /// Every checkout also gets a nonblocking liveness check with no round trip.
    std::chrono::milliseconds validate_after_idle{30'000};
    /// A lease held longer than this is reported (log and metric only); > 0. Unset: never reported.
    std::optional<std::chrono::milliseconds> leak_threshold{std::chrono::seconds{60}};
    /// Run `DISCARD ALL` when a PostgreSQL connection is released, which also drops its prepared
    /// statements. Off: session state set by the caller is the caller's to reset.
    bool reset_with_discard_all = false;

    bool operator==(const PoolOptions&) const = default;
};

}  // namespace ucm
