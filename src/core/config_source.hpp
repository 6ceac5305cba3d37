// The settings one configuration source (the TOML file, the environment) gives, before conversion
// to the fields' types. Both sources produce the same shape, so each field's conversion and
// checks are written once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace ucm::detail {

/// A value as its source gives it. The environment only gives strings.
using RawValue = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

/// One setting of one source.
struct Setting {
    std::string path{};    ///< the key path, e.g. "pool.size"
    std::string origin{};  ///< what error messages name: "pool.size" or "pool.size (from UCM_POOL_SIZE)"
    RawValue value{};
    bool from_env = false;  ///< the value is a string to be parsed into the field's type
};

/// Everything one source gave.
struct SourceSettings {
    std::map<std::string, Setting> values{};  ///< by key path
    std::vector<std::string> tables{};        ///< tables present even if empty, e.g. "redis"
};

}  // namespace ucm::detail
