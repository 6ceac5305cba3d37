#pragma once
// The one table that turns a PostgreSQL failure into ucm's error model (STYLE B5.3).

#include <ucm/core/errc.hpp>
#include <ucm/core/error.hpp>

#include <string>
#include <string_view>

namespace ucm::pg {

/// How ucm treats a failure with a given SQLSTATE.
struct PgErrorClass {
    Errc code = Errc::query_failed;
    bool retriable = false;         ///< may the caller rerun the whole transaction?
    bool poisons = false;           ///< the connection must be closed, never pooled
    bool role_change_hint = false;  ///< suggests the server's role changed (25006, shutdowns)
};

/// Classifies a server error. `severity` is the non-localized severity (ERROR, FATAL, PANIC);
/// `at_connect` is true for errors that ended a connection attempt.
PgErrorClass classify_sqlstate(std::string_view sqlstate, std::string_view severity, bool at_connect);

/// Builds the typed exception for a classified error. The message is the server's primary message
/// and the endpoint; never the conninfo, so never a password.
[[noreturn]] void throw_pg_error(const PgErrorClass& cls, std::string message, std::string sqlstate,
                                 std::string endpoint);

}  // namespace ucm::pg
