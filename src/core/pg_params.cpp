#include "core/pg_params.hpp"

#include <ucm/core/error.hpp>

#include <algorithm>
#include <array>
#include <optional>

namespace ucm::detail {
namespace {

constexpr std::array<SslMode, 6> kSslModes{SslMode::Disable, SslMode::Allow,    SslMode::Prefer,
                                           SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull};

constexpr std::string_view kSupported =
    "host, port, dbname, user, password, application_name, sslmode, sslrootcert, sslcert, sslkey, "
    "sslpassword, connect_timeout, target_session_attrs";

// libpq keywords ucm knows but sets itself or does not support; naming them is safe because the
// name printed is ours, not the input's.
constexpr std::array<std::string_view, 21> kUnsupported{"hostaddr",
                                                        "passfile",
                                                        "options",
                                                        "service",
                                                        "keepalives",
                                                        "keepalives_idle",
                                                        "keepalives_interval",
                                                        "keepalives_count",
                                                        "tcp_user_timeout",
                                                        "gssencmode",
                                                        "krbsrvname",
                                                        "requirepeer",
                                                        "sslcompression",
                                                        "sslcrl",
                                                        "sslcrldir",
                                                        "sslsni",
                                                        "ssl_min_protocol_version",
                                                        "ssl_max_protocol_version",
                                                        "replication",
                                                        "channel_binding",
                                                        "fallback_application_name"};

constexpr std::array<std::string_view, 6> kSessionAttrs{"any",     "read-write", "read-only",
                                                        "primary", "standby",    "prefer-standby"};

std::vector<std::string_view> split_commas(std::string_view text) {
    std::vector<std::string_view> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        items.push_back(text.substr(start, comma - start));
        if (comma == std::string_view::npos) return items;
        start = comma + 1;
    }
}

// Pairs libpq's parallel host and port lists: one port for all hosts, or one per host (an empty
// one meaning the default), exactly as libpq does.
std::vector<Endpoint> pair_hosts_ports(std::string_view hosts, std::optional<std::string_view> ports,
                                       const std::string& field) {
    const std::vector<std::string_view> host_items = split_commas(hosts);
    const std::vector<std::string_view> port_items =
        ports ? split_commas(*ports) : std::vector<std::string_view>{};
    if (port_items.size() > 1 && port_items.size() != host_items.size()) {
        throw ConfigInvalid(field, "gives " + std::to_string(port_items.size()) + " ports for " +
                                       std::to_string(host_items.size()) + " hosts");
    }
    std::vector<Endpoint> endpoints;
    for (std::size_t i = 0; i < host_items.size(); ++i) {
        const std::string item_field = field + " host #" + std::to_string(i + 1);
        if (host_items[i].empty()) throw ConfigInvalid(item_field, "empty host");
        // A conninfo host is bare (no brackets, no port), so parse it as "[host]" to allow IPv6.
        Endpoint endpoint =
            parse_endpoint("[" + std::string{host_items[i]} + "]", kDefaultPgPort, item_field, Quote::Never);
        const std::string_view port = port_items.size() == 1 ? port_items[0]
                                      : port_items.empty()   ? std::string_view{}
                                                             : port_items[i];
        if (!port.empty()) endpoint.port = parse_port(port, item_field, Quote::Never);
        endpoints.push_back(std::move(endpoint));
    }
    return endpoints;
}

std::chrono::milliseconds parse_connect_timeout(std::string_view text, const std::string& field) {
    std::uint64_t seconds = 0;
    if (!parse_u64(text, seconds) || seconds < 1 || seconds > 86'400) {
        throw ConfigInvalid(field, "connect_timeout must be whole seconds in 1..86400 (libpq's unit)");
    }
    return std::chrono::seconds{static_cast<std::int64_t>(seconds)};
}

void check_session_attrs(std::string_view value, const std::string& field) {
    if (std::find(kSessionAttrs.begin(), kSessionAttrs.end(), value) == kSessionAttrs.end()) {
        throw ConfigInvalid(
            field,
            "target_session_attrs must be one of any, read-write, read-only, primary, standby, "
            "prefer-standby (it is checked, then ignored: ucm finds the primary itself)");
    }
}

}  // namespace

SslMode parse_ssl_mode(std::string_view text, const std::string& field, Quote quote) {
    for (SslMode mode : kSslModes) {
        if (text == to_string(mode)) return mode;
    }
    std::string problem = "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full";
    if (quote == Quote::Allowed) problem += "; got '" + std::string{text} + "'";
    throw ConfigInvalid(field, problem);
}

ReadOnlyFallback parse_read_only_fallback(std::string_view text, const std::string& field) {
    if (text == "allow") return ReadOnlyFallback::Allow;
    if (text == "forbid") return ReadOnlyFallback::Forbid;
    throw ConfigInvalid(field, "must be \"allow\" or \"forbid\", got '" + std::string{text} + "'");
}

ReadPolicy parse_read_policy(std::string_view text, const std::string& field) {
    if (text == "round_robin") return ReadPolicy::RoundRobin;
    if (text == "nearest") return ReadPolicy::Nearest;
    throw ConfigInvalid(field, "must be \"round_robin\" or \"nearest\", got '" + std::string{text} + "'");
}

PgParamsApplied apply_pg_params(const PgParams& params, PgOptions& out, const std::string& field) {
    struct Target {
        PgOptions& options;
        PgParamsApplied& applied;
        const std::string& field;
    };
    using Setter = void (*)(Target&, const std::string&);
    struct Keyword {
        std::string_view name;
        Setter set;
    };
    // host and port are paired after the loop, so they have no entry here.
    static constexpr std::array kKeywords = std::to_array<Keyword>({
        {"dbname", [](Target& t, const std::string& v) { t.options.dbname = v; }},
        {"user", [](Target& t, const std::string& v) { t.options.user = v; }},
        {"password",
         [](Target& t, const std::string& v) {
             t.options.password = Secret{v};
             t.applied.password = true;
         }},
        {"application_name", [](Target& t, const std::string& v) { t.options.application_name = v; }},
        {"sslmode",
         [](Target& t,
            const std::string& v) { t.options.sslmode = parse_ssl_mode(v, t.field, Quote::Never); }},
        {"sslrootcert", [](Target& t, const std::string& v) { t.options.sslrootcert = v; }},
        {"sslcert", [](Target& t, const std::string& v) { t.options.sslcert = v; }},
        {"sslkey", [](Target& t, const std::string& v) { t.options.sslkey = v; }},
        {"sslpassword", [](Target& t, const std::string& v) { t.options.sslpassword = Secret{v}; }},
        {"connect_timeout",
         [](Target& t,
            const std::string& v) { t.options.connect_timeout = parse_connect_timeout(v, t.field); }},
        {"target_session_attrs", [](Target& t, const std::string& v) { check_session_attrs(v, t.field); }},
    });

    PgParamsApplied applied;
    Target target{out, applied, field};
    std::optional<std::string_view> hosts;
    std::optional<std::string_view> ports;
    for (const PgParam& param : params) {
        if (param.keyword == "host") {
            hosts = param.value;
            continue;
        }
        if (param.keyword == "port") {
            ports = param.value;
            continue;
        }
        const auto* keyword = std::find_if(kKeywords.begin(), kKeywords.end(),
                                           [&](const Keyword& k) { return k.name == param.keyword; });
        if (keyword != kKeywords.end()) {
            keyword->set(target, param.value);
            continue;
        }
        const auto* unsupported = std::find(kUnsupported.begin(), kUnsupported.end(), param.keyword);
        if (unsupported != kUnsupported.end()) {
            throw ConfigInvalid(field,
                                "parameter '" + std::string{*unsupported} + "' is not supported by ucm");
        }
        throw ConfigInvalid(field,
                            "unknown " + param.position + " (ucm accepts " + std::string{kSupported} + ")");
    }
    if (ports && !hosts) throw ConfigInvalid(field, "gives a port but no host");
    if (hosts) out.hosts = pair_hosts_ports(*hosts, ports, field);
    return applied;
}

}  // namespace ucm::detail
