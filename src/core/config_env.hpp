// Reading the environment source: UCM_<SECTION>_<KEY> for every key of the table.
#pragma once

#include "core/config_source.hpp"

#include <ucm/core/config_load.hpp>

namespace ucm::detail {

/// One Setting per key whose variable `env` has set, its origin "path (from UCM_...)".
[[nodiscard]] SourceSettings read_env_settings(const EnvLookup& env);

}  // namespace ucm::detail
