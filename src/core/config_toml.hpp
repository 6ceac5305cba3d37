// Reading the TOML source: syntax errors with line:column and no quoted source text, unknown keys
// with their path and a suggestion, values flattened to Settings.
#pragma once

#include "core/config_source.hpp"

#include <string_view>

namespace ucm::detail {

/// Parses `doc` and flattens it to key paths. `source_name` names the document in syntax errors.
///
/// Errors: ConfigInvalid: "<source>:<line>:<column>" for syntax errors (toml++'s description with
/// anything quoted from the source removed, or withheld entirely on a line that holds a secret),
/// "<key path>" for unknown keys, keys where a table belongs and values of unsupported types.
[[nodiscard]] SourceSettings read_toml_settings(std::string_view doc, std::string_view source_name);

/// toml++'s error description with every fragment it quoted from the source replaced by "…",
/// except single punctuation characters such as '=' or ']'.
[[nodiscard]] std::string scrub_toml_description(std::string_view description);

}  // namespace ucm::detail
