// load_config: TOML source, then environment source, then secrets, then the mode preset, then
// validation. Each later step sees the merged result of the earlier ones, which is what gives the
// precedence defaults < mode preset < TOML < environment.
#include "core/config_env.hpp"
#include "core/config_fields.hpp"
#include "core/config_toml.hpp"

#include <ucm/core/config_load.hpp>
#include <ucm/core/config_validate.hpp>
#include <ucm/core/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace ucm {
namespace {

// errno's text; std::strerror is not thread-safe.
std::string last_error() { return std::error_code{errno, std::generic_category()}.message(); }

// Reads a password file whole; one trailing newline (as `echo` writes) is not part of the password.
Secret read_secret_file(const std::filesystem::path& file, const std::string& field) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigInvalid(field, "cannot read '" + file.string() + "': " + last_error());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string text = std::move(buffer).str();
    if (text.ends_with('\n')) text.pop_back();
    if (text.ends_with('\r')) text.pop_back();
    if (text.empty()) throw ConfigInvalid(field, "'" + file.string() + "' is empty");
    return Secret{std::move(text)};
}

void resolve(Secret& password, const std::filesystem::path& file, const std::string& variable,
             const std::string& section, const EnvLookup& env) {
    if (!file.empty()) password = read_secret_file(file, section + ".password_file");
    if (variable.empty()) return;
    std::optional<std::string> value = env(variable);
    if (!value || value->empty()) {
        throw ConfigInvalid(section + ".password_env",
                            "environment variable " + variable + " is not set or empty");
    }
    password = Secret{std::move(*value)};
}

void resolve_role(std::optional<PgRole>& role, std::string_view name, const EnvLookup& env) {
    if (role) {
        resolve(role->password, role->password_file, role->password_env,
                "postgres.roles." + std::string{name}, env);
    }
}

}  // namespace

EnvLookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string{name}.c_str());
        return value == nullptr ? std::nullopt : std::optional<std::string>{value};
    };
}

EnvLookup no_env() {
    return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

void resolve_secrets(Config& config, const EnvLookup& env) {
    PgOptions& pg = config.postgres;
    resolve(pg.password, pg.password_file, pg.password_env, "postgres", env);
    resolve_role(pg.roles.read_only, "read_only", env);
    resolve_role(pg.roles.read_write, "read_write", env);
    resolve_role(pg.roles.admin, "admin", env);
    if (config.redis) {
        resolve(config.redis->password, config.redis->password_file, config.redis->password_env, "redis",
                env);
    }
}

Config load_config_string(std::string_view toml, const EnvLookup& env, std::string_view source_name) {
    const detail::SourceSettings file = detail::read_toml_settings(toml, source_name);
    const detail::SourceSettings environment = detail::read_env_settings(env);
    Config config;
    detail::apply_settings(config, file);
    detail::apply_settings(config, environment);
    resolve_secrets(config, env);
    apply_mode_preset(config);
    validate(config);
    return config;
}

Config load_config(const std::filesystem::path& file, const EnvLookup& env) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigInvalid(file.string(), "cannot read the config file: " + last_error());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return load_config_string(buffer.str(), env, file.string());
}

}  // namespace ucm
