#include "core/pg_uri.hpp"

#include "core/percent_decode.hpp"
#include "core/pg_conninfo.hpp"

#include <ucm/core/error.hpp>

#include <algorithm>
#include <array>

namespace ucm::detail {
namespace {

constexpr std::array<std::string_view, 2> kSchemes{"postgresql://", "postgres://"};

std::string decode(std::string_view text, const std::string& field, std::string_view part) {
    std::optional<std::string> decoded = percent_decode(text);
    if (!decoded) throw ConfigInvalid(field, "malformed percent-encoding in the " + std::string{part});
    return std::move(*decoded);
}

// Splits the host list of the authority into libpq's parallel "host" and "port" lists. Hosts are
// split on ',' outside brackets; a port follows the last ':' outside brackets.
void split_host_list(std::string_view list, const std::string& field, PgParams& out) {
    std::string hosts;
    std::string ports;
    std::size_t index = 0;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = start;
        bool in_brackets = false;
        while (end < list.size() && (in_brackets || list[end] != ',')) {
            if (list[end] == '[') in_brackets = true;
            if (list[end] == ']') in_brackets = false;
            ++end;
        }
        ++index;
        const std::string item_field = field + " host #" + std::to_string(index);
        const std::string_view item = list.substr(start, end - start);
        // parse_endpoint checks brackets, the port and the host's characters without quoting.
        const Endpoint endpoint = parse_endpoint(item, 0, item_field, Quote::Never);
        if (index > 1) {
            hosts += ',';
            ports += ',';
        }
        const std::string host = decode(endpoint.host, item_field, "host");
        if (host.find(',') != std::string::npos) throw ConfigInvalid(item_field, "host contains ','");
        hosts += host;
        if (endpoint.port != 0) ports += std::to_string(endpoint.port);
        start = end + 1;
    }
    out.push_back({"host", std::move(hosts), "host list"});
    if (ports.find_first_not_of(',') != std::string::npos) {
        out.push_back({"port", std::move(ports), "host list"});
    }
}

void parse_query(std::string_view query, const std::string& field, PgParams& out) {
    std::size_t start = 0;
    std::size_t index = 0;
    while (start <= query.size()) {
        const std::size_t amp = std::min(query.find('&', start), query.size());
        const std::string_view pair = query.substr(start, amp - start);
        ++index;
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            throw ConfigInvalid(field, "query parameter #" + std::to_string(index) + " is not key=value");
        }
        out.push_back({decode(pair.substr(0, eq), field, "query"),
                       decode(pair.substr(eq + 1), field, "query"),
                       "query parameter #" + std::to_string(index)});
        start = amp + 1;
    }
}

}  // namespace

bool is_pg_uri(std::string_view text) noexcept {
    for (std::string_view scheme : kSchemes) {
        if (text.starts_with(scheme)) return true;
    }
    return false;
}

PgParams parse_pg_uri(std::string_view uri, const std::string& field) {
    std::string_view rest;
    for (std::string_view scheme : kSchemes) {
        if (uri.starts_with(scheme)) rest = uri.substr(scheme.size());
    }
    if (!is_pg_uri(uri)) throw ConfigInvalid(field, "must start with postgresql:// or postgres://");
    if (rest.find('#') != std::string_view::npos) {
        throw ConfigInvalid(field, "a fragment ('#') is not allowed");
    }

    const std::size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
    const std::string_view authority = rest.substr(0, authority_end);
    std::string_view tail = rest.substr(authority_end);

    PgParams params;
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        const std::string user = decode(userinfo.substr(0, colon), field, "user name");
        if (!user.empty()) params.push_back({"user", user, "user name"});
        if (colon != std::string_view::npos) {
            params.push_back({"password", decode(userinfo.substr(colon + 1), field, "password"), "password"});
        }
    }
    const std::string_view host_list = authority.substr(at == std::string_view::npos ? 0 : at + 1);
    if (!host_list.empty()) split_host_list(host_list, field, params);

    if (tail.starts_with('/')) {
        const std::size_t query = std::min(tail.find('?'), tail.size());
        const std::string_view path = tail.substr(1, query - 1);
        // A raw '/' or '@' here almost always means a password with an unencoded '/': the rest of
        // the password and the host slid into the path. Refuse rather than connect to a wrong db.
        if (path.find_first_of("/@") != std::string_view::npos) {
            throw ConfigInvalid(field,
                                "the database name contains '/' or '@'; percent-encode them "
                                "(a password containing '/' must be percent-encoded too)");
        }
        if (!path.empty()) {
            params.push_back({"dbname", decode(path, field, "database name"), "database name"});
        }
        tail = tail.substr(query);
    }
    if (tail.starts_with('?')) parse_query(tail.substr(1), field, params);
    return params;
}

PgParamsApplied apply_pg_connection_string(std::string_view text, PgOptions& out, const std::string& field) {
    if (is_pg_uri(text)) return apply_pg_params(parse_pg_uri(text, field), out, field);
    if (text.find('=') != std::string_view::npos) {
        return apply_pg_params(parse_pg_conninfo(text, field), out, field);
    }
    throw ConfigInvalid(field, "expected a postgresql:// URI or a key=value conninfo string");
}

}  // namespace ucm::detail
