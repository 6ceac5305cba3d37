// libpq connection keywords, as a postgresql:// URI or a key=value conninfo string yields them, and
// their mapping onto PgOptions. Both parsers produce PgParams so the mapping is written once.
#pragma once

#include "core/value_parse.hpp"

#include <ucm/core/pg_options.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ucm::detail {

/// One keyword=value pair in libpq's vocabulary. The value may be a password: never put it, or any
/// part of it, in a message.
struct PgParam {
    std::string keyword{};
    std::string value{};
    std::string position{};  ///< where it came from, for messages: "query parameter #2", "keyword #3"
};
using PgParams = std::vector<PgParam>;

/// What apply_pg_params() set that the loader must know about.
struct PgParamsApplied {
    bool password = false;  ///< a password was given (it replaces password_file and password_env)
};

/// Maps libpq keywords onto `out`: host and port (comma-separated lists, as libpq's), dbname, user,
/// password, application_name, sslmode, sslrootcert, sslcert, sslkey, sslpassword, connect_timeout
/// (whole seconds, as libpq's) and target_session_attrs (checked, then ignored: ucm finds the
/// primary itself). A later duplicate wins, as in libpq.
///
/// Errors: ConfigInvalid(field) for unknown or unsupported keywords and bad values; no value from
/// `params` ever appears in the message.
PgParamsApplied apply_pg_params(const PgParams& params, PgOptions& out, const std::string& field);

/// "disable" … "verify-full".
/// Errors: ConfigInvalid(field) listing the valid values, quoting `text` only if `quote` allows.
[[nodiscard]] SslMode parse_ssl_mode(std::string_view text, const std::string& field, Quote quote);

/// "allow" or "forbid".
[[nodiscard]] ReadOnlyFallback parse_read_only_fallback(std::string_view text, const std::string& field);

/// "round_robin" or "nearest".
[[nodiscard]] ReadPolicy parse_read_policy(std::string_view text, const std::string& field);

}  // namespace ucm::detail
