// The postgresql:// URI parser, and the entry point that tells a URI from a conninfo string. ucm parses them
// itself, instead of calling PQconninfoParse, because libpq's parse errors quote the offending token, which
// can be a password.
#pragma once

#include "core/pg_params.hpp"

#include <string>
#include <string_view>

namespace ucm::detail {

/// Parses `postgresql://[user[:password]@][host[:port][,host[:port]...]][/dbname][?key=value&...]`
/// (also `postgres://`), as libpq does: percent-decoding throughout, IPv6 hosts in brackets.
/// The user information ends at the last '@' before the path, so an unencoded '@' in a password
/// still parses; an unencoded '/' cannot, and is reported (without the text).
///
/// Errors: ConfigInvalid(field) saying what is malformed and where, never quoting the input.
[[nodiscard]] PgParams parse_pg_uri(std::string_view uri, const std::string& field);

/// True if `text` starts with `postgresql://` or `postgres://`.
[[nodiscard]] bool is_pg_uri(std::string_view text) noexcept;

/// A URI or a conninfo string, told apart as libpq does, applied onto `out`.
PgParamsApplied apply_pg_connection_string(std::string_view text, PgOptions& out, const std::string& field);

}  // namespace ucm::detail
