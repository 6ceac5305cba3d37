#include "pool/pool_options_from_config.hpp"

namespace ucm::pool {

PoolOptions from_config(const ucm::PoolOptions& config, const PoolPresets& presets) {
    PoolOptions o;
    o.size = config.size.value_or(presets.size);
    o.max_overflow = config.max_overflow.value_or(presets.max_overflow);
    o.min_idle = config.min_idle;
    o.max_waiters = config.max_waiters;
    o.acquire_timeout = config.acquire_timeout;
    o.connect_timeout = presets.connect_timeout;
    o.validate_after_idle = config.validate_after_idle;
    o.idle_timeout = config.idle_timeout;
    o.max_lifetime = config.max_lifetime;
    o.lifetime_jitter = config.lifetime_jitter;
    o.leak_threshold = config.leak_threshold;
    return o;
}

}  // namespace ucm::pool
