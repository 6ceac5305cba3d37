// The key=value conninfo parser. ucm parses conninfo itself, instead of calling PQconninfoParse,
// because libpq's parse errors quote the offending token, which can be a password.
#pragma once

#include "core/pg_params.hpp"

#include <string>
#include <string_view>

namespace ucm::detail {

/// Parses a conninfo string, `host=h1,h2 port=5432 dbname=app password='it\'s'`: keyword = value
/// pairs separated by whitespace; values single-quoted or bare; a backslash escapes the next
/// character in both, as in libpq.
///
/// Errors: ConfigInvalid(field) giving the character position, never quoting the input.
[[nodiscard]] PgParams parse_pg_conninfo(std::string_view conninfo, const std::string& field);

}  // namespace ucm::detail
