#pragma once

#include <ucm/core/config.hpp>
#include <ucm/export.hpp>

namespace ucm {

// One validate() per options struct (STYLE B4), each run once when a manager is built and by
// load_config(). Each throws ConfigInvalid naming the field path and the bad value, e.g.
// "pool.max_overflow: must be <= 1000, got 5000"; secrets are never shown.

/// Checks the manager section: id characters and length, a non-empty access set, a positive SLA.
UCM_EXPORT void validate(const ManagerOptions& options);
/// Checks the ranges of every pool field; `min_idle <= size` only when size is set.
UCM_EXPORT void validate(const PoolOptions& options);
/// Checks hosts (at least one, ports 1..65535), deadlines, application_name and roles.
UCM_EXPORT void validate(const PgOptions& options);
/// Checks the endpoint or the sentinels and master name, and the deadlines.
UCM_EXPORT void validate(const RedisOptions& options);
/// Checks the probe interval and deadline.
UCM_EXPORT void validate(const HealthOptions& options);
/// Checks every section, plus what spans sections: min_idle against the effective pool size.
UCM_EXPORT void validate(const Config& config);

}  // namespace ucm
