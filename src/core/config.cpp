#include <ucm/core/config.hpp>

namespace ucm {

void apply_mode_preset(Config& config) {
    const ModePreset preset = mode_preset(config.manager.mode);
    if (!config.pool.size) config.pool.size = preset.pool_size;
    if (!config.pool.max_overflow) config.pool.max_overflow = preset.max_overflow;
    if (!config.manager.allowed_access) config.manager.allowed_access = preset.allowed_access;
    if (!config.manager.sla_p99_target) config.manager.sla_p99_target = preset.sla_p99_target;
    if (!config.postgres.query_timeout) config.postgres.query_timeout = preset.query_deadline;
    if (config.redis && !config.redis->command_timeout) config.redis->command_timeout = preset.query_deadline;
}

}  // namespace ucm
