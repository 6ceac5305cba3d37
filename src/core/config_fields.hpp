// The table of every configuration key: its path (TOML key path, and the environment variable
// UCM_<PATH>), and how a setting is applied to Config. Loading applies each source's settings in
// this table's order, so `postgres.uri` is applied before the keys that override parts of it.
#pragma once

#include "core/config_source.hpp"

#include <ucm/core/config.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::detail {

/// Per-source bookkeeping of keys that exclude each other (password vs password_file, redis.url vs
/// redis.sentinels): within one source two different kinds in one group are an error; a later
/// source simply replaces the earlier one's choice.
class ApplyState {
  public:
    /// Records that `origin` set `kind` of `group`. Errors: ConfigInvalid(origin) if another kind
    /// of the group was already set by this source.
    void claim(std::string_view group, std::string_view kind, const std::string& origin);

  private:
    struct Claim {
        std::string kind;
        std::string origin;
    };
    std::map<std::string, Claim, std::less<>> claims_;
};

/// One configuration key.
struct FieldSpec {
    std::string_view path;   ///< TOML key path, e.g. "pool.size"
    std::string_view group;  ///< exclusion group (see ApplyState); empty: none
    std::string_view kind;   ///< this key's kind within the group
    void (*apply)(Config&, const Setting&, ApplyState&);
};

/// Every key, in application order.
[[nodiscard]] std::span<const FieldSpec> config_fields();
/// Every table path: "manager", "pool", "postgres", "postgres.roles", "postgres.roles.read_only", ...
[[nodiscard]] std::span<const std::string_view> config_tables();
[[nodiscard]] const FieldSpec* find_field(std::string_view path);
[[nodiscard]] bool is_config_table(std::string_view path);

/// "UCM_" + the path upper-cased with '.' as '_': "pool.size" → "UCM_POOL_SIZE".
[[nodiscard]] std::string env_name(std::string_view path);

/// Applies one source onto `config`, in table order, enforcing the exclusion groups.
void apply_settings(Config& config, const SourceSettings& source);

}  // namespace ucm::detail
