#include "core/config_env.hpp"

#include "core/config_fields.hpp"

namespace ucm::detail {

SourceSettings read_env_settings(const EnvLookup& env) {
    SourceSettings settings;
    for (const FieldSpec& field : config_fields()) {
        const std::string name = env_name(field.path);  // e.g. UCM_POOL_SIZE
        std::optional<std::string> value = env(name);
        if (!value) continue;
        const std::string path{field.path};
        settings.values[path] = Setting{.path = path,
                                        .origin = path + " (from " + name + ")",
                                        .value = std::move(*value),
                                        .from_env = true};
    }
    return settings;
}

}  // namespace ucm::detail
