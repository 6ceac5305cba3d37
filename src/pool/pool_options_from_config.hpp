#pragma once
// From configuration to a pool: `ucm::PoolOptions` (TOML `[pool]`, sizes optional until the
// manager's mode fills them in) becomes the resolved `ucm::pool::PoolOptions` a pool is built with.

#include <ucm/core/pool_options.hpp>
#include <ucm/pool/pool_options.hpp>

#include <chrono>
#include <cstddef>

namespace ucm::pool {

/// The mode's presets and the driver's connect deadline, which the `[pool]` table does not hold.
struct PoolPresets {
    std::size_t size = kDefaultPoolSize;             ///< used when `config.size` is unset
    std::size_t max_overflow = kDefaultMaxOverflow;  ///< used when `config.max_overflow` is unset
    std::chrono::milliseconds connect_timeout{5'000};
};

/// Copies every field with the same meaning; sizes fall back to `presets`.
PoolOptions from_config(const ucm::PoolOptions& config, const PoolPresets& presets);

}  // namespace ucm::pool
