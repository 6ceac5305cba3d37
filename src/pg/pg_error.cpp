#include "pg/pg_error.hpp"

#include <fmt/format.h>

namespace ucm::pg {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

PgErrorClass classify_sqlstate(std::string_view sqlstate, std::string_view severity, bool at_connect) {
    PgErrorClass cls;
    const bool fatal = severity == "FATAL" || severity == "PANIC";
    if (starts_with(sqlstate, "08")) {  // connection exception
        cls = {.code = Errc::connection_failed, .retriable = true, .poisons = true, .role_change_hint = true};
    } else if (sqlstate == "28P01" || sqlstate == "28000") {  // invalid password / authorization
        cls = {.code = Errc::auth_failed, .retriable = false, .poisons = true};
    } else if (sqlstate == "40001" || sqlstate == "40P01") {  // serialization failure, deadlock
        cls = {.code = Errc::query_failed, .retriable = true};
    } else if (sqlstate == "25006") {  // read_only_sql_transaction: maybe a demoted primary
        cls = {.code = Errc::read_only_violation, .retriable = true, .role_change_hint = true};
    } else if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
        // admin shutdown, crash shutdown, cannot connect now (starting up / recovering)
        cls = {.code = Errc::connection_failed, .retriable = true, .poisons = true, .role_change_hint = true};
    } else if (sqlstate == "57P04" || sqlstate == "57P05" || sqlstate == "25P03") {
        // database dropped, idle-session timeout, idle-in-transaction timeout: the session is gone
        cls = {.code = Errc::connection_failed, .retriable = false, .poisons = true};
    } else if (sqlstate == "53300" && at_connect) {  // too many connections: back off, then retry
        cls = {.code = Errc::connection_failed, .retriable = true, .poisons = true};
    } else if (at_connect) {
        cls = {.code = Errc::connection_failed, .retriable = false, .poisons = true};
    }
    if (fatal) cls.poisons = true;  // the server ends the session after any FATAL or PANIC
    return cls;
}

void throw_pg_error(const PgErrorClass& cls, std::string message, std::string sqlstate, std::string endpoint) {
    std::string text = sqlstate.empty() ? fmt::format("{}: {}", endpoint, message)
                                        : fmt::format("{}: {} (SQLSTATE {})", endpoint, message, sqlstate);
    ErrorInfo info{.code = cls.code,
                   .message = std::move(text),
                   .retriable = cls.retriable,
                   .poisons_connection = cls.poisons,
                   .sqlstate = std::move(sqlstate),
                   .endpoint = std::move(endpoint)};
    switch (cls.code) {
        case Errc::auth_failed: throw AuthFailed(std::move(info));
        case Errc::connection_failed: throw ConnectionFailed(std::move(info));
        case Errc::deadline_exceeded: throw DeadlineExceeded(std::move(info));
        case Errc::in_doubt: throw InDoubt(std::move(info));
        case Errc::query_failed: throw QueryFailed(std::move(info));
        default: throw Error(std::move(info));
    }
}

}  // namespace ucm::pg
