#pragma once

#include <ucm/core/config.hpp>
#include <ucm/export.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ucm {

/// Looks up one environment variable; nullopt when it is not set. Injected so tests never touch the
/// process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (std::getenv).
[[nodiscard]] UCM_EXPORT EnvLookup process_env();

/// An empty environment: no overrides, no password_env variables.
[[nodiscard]] UCM_EXPORT EnvLookup no_env();

/// Loads a TOML file, applies `UCM_*` environment overrides, reads password files and variables,
/// fills unset fields from the mode preset and validates the result.
///
/// Precedence, lowest first: built-in defaults < mode preset < TOML file < environment. Every key
/// `section.key` can be overridden by `UCM_SECTION_KEY` (e.g. pool.size by UCM_POOL_SIZE,
/// postgres.uri by UCM_POSTGRES_URI). See docs/configuration.md.
///
/// Errors: ConfigInvalid naming the key path (or variable) and what was wrong: unreadable file, TOML
/// syntax (with line:column), unknown keys, wrong types, bad values, failed validation. No message
/// ever contains a password.
/// Thread safety: safe to call concurrently if `env` is.
///
/// @code
///   ucm::Config config = ucm::load_config("/etc/app/ucm.toml");
/// @endcode
[[nodiscard]] UCM_EXPORT Config load_config(const std::filesystem::path& file,
                                            const EnvLookup& env = process_env());

/// As load_config(), from TOML text; `source_name` names it in syntax error messages.
[[nodiscard]] UCM_EXPORT Config load_config_string(std::string_view toml,
                                                   const EnvLookup& env = process_env(),
                                                   std::string_view source_name = "<string>");

/// Reads every password_file and password_env of `config` into the matching Secret (password_file
/// and password_env replace the password). load_config() calls it; call it yourself on a Config
/// built by hand that uses them.
///
/// Errors: ConfigInvalid naming the field when a file cannot be read or is empty, or a variable is
/// not set.
UCM_EXPORT void resolve_secrets(Config& config, const EnvLookup& env = process_env());

}  // namespace ucm
