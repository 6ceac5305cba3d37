#pragma once

#include <ucm/core/health_options.hpp>
#include <ucm/core/modes.hpp>
#include <ucm/core/pg_options.hpp>
#include <ucm/core/pool_options.hpp>
#include <ucm/core/redis_options.hpp>
#include <ucm/export.hpp>
#include <ucm/resilience/breaker_options.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ucm {

/// The manager itself (TOML table `[manager]`).
struct ManagerOptions {
    /// The workload preset; fills every unset size, deadline and access field (DESIGN "Modes").
    ManagerMode mode = ManagerMode::AsyncModern;
    /// Names this manager in the registry, logs and application_name; 1..32 characters of
    /// [A-Za-z0-9_.-].
    std::string id = "default";
    /// ConnectionModes callers may request; non-empty. Unset: the mode's preset.
    std::optional<AccessSet> allowed_access{};
    /// p99 latency the SLA tracker measures against; > 0. Unset: the mode's preset.
    std::optional<std::chrono::milliseconds> sla_p99_target{};
    /// When the sum of all pools exceeds the server's max_connections: refuse to start (true) or
    /// only warn (false).
    bool refuse_over_max_connections = false;

    bool operator==(const ManagerOptions&) const = default;
};

/// Everything a UnifiedConnectionManager needs. Build it by hand (designated initializers) or with
/// load_config(); either way it is checked by validate() before use.
///
/// Thread safety: a value type; const access is safe to share.
struct Config {
    ManagerOptions manager{};
    PoolOptions pool{};
    PgOptions postgres{};
    std::optional<RedisOptions> redis{};  ///< unset: no Redis
    HealthOptions health{};
    /// The circuit breaker of every endpoint (TOML table `[breaker]`).
    BreakerOptions breaker{};

    bool operator==(const Config&) const = default;
};

/// Fills every field left unset for "use the mode's preset" from mode_preset(config.manager.mode):
/// pool.size, pool.max_overflow, manager.allowed_access, manager.sla_p99_target,
/// postgres.query_timeout and redis.command_timeout. Fields already set are kept.
UCM_EXPORT void apply_mode_preset(Config& config);

/// A short summary, one line per section (mode and sizes, PostgreSQL hosts, Redis), for
/// `ucm config check`. Every secret shows as `***`.
[[nodiscard]] UCM_EXPORT std::string summarize(const Config& config);

/// Every field of the configuration as TOML, for `ucm config show`. Every secret shows as
/// `"***"` (so the output is for reading, not for loading back); password files and environment
/// variable names are shown.
[[nodiscard]] UCM_EXPORT std::string describe(const Config& config);

}  // namespace ucm
