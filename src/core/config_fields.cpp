// The key table. Each entry is one line; setters that need more than a conversion are named
// functions above it.
#include "core/config_fields.hpp"

#include "core/config_convert.hpp"
#include "core/pg_params.hpp"
#include "core/pg_uri.hpp"
#include "core/redis_url.hpp"

#include <ucm/core/error.hpp>

#include <algorithm>
#include <array>

namespace ucm::detail {
namespace {

using Roles = std::optional<PgRole> PgRoles::*;

RedisOptions& redis_of(Config& config) {
    if (!config.redis) config.redis.emplace();
    return *config.redis;
}

RedisSentinel& sentinel_of(Config& config) {
    RedisOptions& redis = redis_of(config);
    if (!std::holds_alternative<RedisSentinel>(redis.topology)) redis.topology = RedisSentinel{};
    return std::get<RedisSentinel>(redis.topology);
}

template <Roles Role>
PgRole& role_of(Config& config) {
    std::optional<PgRole>& role = config.postgres.roles.*Role;
    if (!role) role.emplace();
    return *role;
}

// Where one struct keeps its three password sources.
struct PasswordRefs {
    Secret& password;
    std::filesystem::path& file;
    std::string& env;
};

PasswordRefs pg_password(Config& c) {
    return {c.postgres.password, c.postgres.password_file, c.postgres.password_env};
}
PasswordRefs redis_password(Config& c) {
    RedisOptions& r = redis_of(c);
    return {r.password, r.password_file, r.password_env};
}
template <Roles Role>
PasswordRefs role_password(Config& c) {
    PgRole& r = role_of<Role>(c);
    return {r.password, r.password_file, r.password_env};
}

// Setting one of password, password_file and password_env clears the other two, so a higher
// source's choice replaces a lower one's whole.
void set_password_source(PasswordRefs refs, Secret password, std::string file, std::string env) {
    refs.password = std::move(password);
    refs.file = std::move(file);
    refs.env = std::move(env);
}

template <PasswordRefs (*Refs)(Config&)>
void apply_password(Config& c, const Setting& s, ApplyState& /*state*/) {
    set_password_source(Refs(c), to_secret(s), {}, {});
}
template <PasswordRefs (*Refs)(Config&)>
void apply_password_file(Config& c, const Setting& s, ApplyState& /*state*/) {
    set_password_source(Refs(c), {}, to_text(s), {});
}
template <PasswordRefs (*Refs)(Config&)>
void apply_password_env(Config& c, const Setting& s, ApplyState& /*state*/) {
    set_password_source(Refs(c), {}, {}, to_text(s));
}

void apply_pg_uri(Config& c, const Setting& s, ApplyState& state) {
    const std::string text = to_text(s);
    if (apply_pg_connection_string(text, c.postgres, s.origin).password) {
        set_password_source(pg_password(c), c.postgres.password, {}, {});
        state.claim("postgres.password", "password", s.origin + " (its password)");
    }
}

void apply_redis_url(Config& c, const Setting& s, ApplyState& state) {
    RedisUrl url = parse_redis_url(to_text(s), s.origin);
    RedisOptions& redis = redis_of(c);
    redis.topology = RedisStandalone{std::move(url.endpoint)};
    if (url.user) redis.user = std::move(*url.user);
    if (url.db) redis.db = *url.db;
    if (url.password) {
        set_password_source(redis_password(c), std::move(*url.password), {}, {});
        state.claim("redis.password", "password", s.origin + " (its password)");
    }
}

void apply_allowed_access(Config& c, const Setting& s, ApplyState& /*state*/) {
    AccessSet access;
    for (const std::string& name : to_list(s)) access = access.with(parse_connection_mode(name, s.origin));
    c.manager.allowed_access = access;
}

template <Roles Role>
void apply_role_user(Config& c, const Setting& s, ApplyState& /*state*/) {
    role_of<Role>(c).user = to_text(s);
}

#define UCM_ROLE_FIELDS(name, member)                                                                  \
    {"postgres.roles." name ".user", "", "", apply_role_user<&PgRoles::member>},                       \
        {"postgres.roles." name ".password", "postgres.roles." name ".password", "password",           \
         apply_password<role_password<&PgRoles::member>>},                                             \
        {"postgres.roles." name ".password_file", "postgres.roles." name ".password", "password_file", \
         apply_password_file<role_password<&PgRoles::member>>},                                        \
    {                                                                                                  \
        "postgres.roles." name ".password_env", "postgres.roles." name ".password", "password_env",    \
            apply_password_env<role_password<&PgRoles::member>>                                        \
    }

// clang-format off
constexpr auto kFields = std::to_array<FieldSpec>({
    {"manager.mode", "", "", [](Config& c, const Setting& s, ApplyState&) { c.manager.mode = parse_manager_mode(to_text(s), s.origin); }},
    {"manager.id", "", "", [](Config& c, const Setting& s, ApplyState&) { c.manager.id = to_text(s); }},
    {"manager.allowed_access", "", "", apply_allowed_access},
    {"manager.sla_p99_target", "", "", [](Config& c, const Setting& s, ApplyState&) { c.manager.sla_p99_target = to_duration(s); }},
    {"manager.refuse_over_max_connections", "", "", [](Config& c, const Setting& s, ApplyState&) { c.manager.refuse_over_max_connections = to_bool(s); }},

    {"pool.size", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.size = to_count(s); }},
    {"pool.max_overflow", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.max_overflow = to_count(s); }},
    {"pool.min_idle", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.min_idle = to_count(s); }},
    {"pool.acquire_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.acquire_timeout = to_duration(s); }},
    {"pool.max_waiters", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.max_waiters = to_count(s); }},
    {"pool.idle_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.idle_timeout = to_optional_duration(s); }},
    {"pool.max_lifetime", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.max_lifetime = to_optional_duration(s); }},
    {"pool.lifetime_jitter", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.lifetime_jitter = to_number(s); }},
    {"pool.validate_after_idle", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.validate_after_idle = to_duration(s); }},
    {"pool.leak_threshold", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.leak_threshold = to_optional_duration(s); }},
    {"pool.reset_with_discard_all", "", "", [](Config& c, const Setting& s, ApplyState&) { c.pool.reset_with_discard_all = to_bool(s); }},

    {"postgres.uri", "", "", apply_pg_uri},
    {"postgres.hosts", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.hosts = to_endpoints(s, kDefaultPgPort); }},
    {"postgres.dbname", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.dbname = to_text(s); }},
    {"postgres.user", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.user = to_text(s); }},
    {"postgres.password", "postgres.password", "password", apply_password<pg_password>},
    {"postgres.password_file", "postgres.password", "password_file", apply_password_file<pg_password>},
    {"postgres.password_env", "postgres.password", "password_env", apply_password_env<pg_password>},
    {"postgres.application_name", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.application_name = to_text(s); }},
    {"postgres.connect_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.connect_timeout = to_duration(s); }},
    {"postgres.query_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.query_timeout = to_duration(s); }},
    {"postgres.statement_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.statement_timeout = to_optional_duration(s); }},
    {"postgres.sslmode", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.sslmode = parse_ssl_mode(to_text(s), s.origin, Quote::Allowed); }},
    {"postgres.sslrootcert", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.sslrootcert = to_text(s); }},
    {"postgres.sslcert", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.sslcert = to_text(s); }},
    {"postgres.sslkey", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.sslkey = to_text(s); }},
    {"postgres.sslpassword", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.sslpassword = to_secret(s); }},
    {"postgres.unnamed_statements_only", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.unnamed_statements_only = to_bool(s); }},
    {"postgres.read_only_fallback", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.read_only_fallback = parse_read_only_fallback(to_text(s), s.origin); }},
    {"postgres.read_policy", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.read_policy = parse_read_policy(to_text(s), s.origin); }},
    {"postgres.max_replication_lag", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.max_replication_lag = to_optional_duration(s); }},
    {"postgres.max_replication_lag_bytes", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.max_replication_lag_bytes = to_optional_bytes(s); }},
    {"postgres.topology_refresh", "", "", [](Config& c, const Setting& s, ApplyState&) { c.postgres.topology_refresh = to_duration(s); }},
    UCM_ROLE_FIELDS("read_only", read_only),
    UCM_ROLE_FIELDS("read_write", read_write),
    UCM_ROLE_FIELDS("admin", admin),

    {"redis.url", "redis.topology", "url", apply_redis_url},
    {"redis.sentinels", "redis.topology", "sentinel", [](Config& c, const Setting& s, ApplyState&) { sentinel_of(c).sentinels = to_endpoints(s, kDefaultSentinelPort); }},
    {"redis.master_name", "redis.topology", "sentinel", [](Config& c, const Setting& s, ApplyState&) { sentinel_of(c).master_name = to_text(s); }},
    {"redis.sentinel_password", "redis.topology", "sentinel", [](Config& c, const Setting& s, ApplyState&) { sentinel_of(c).sentinel_password = to_secret(s); }},
    {"redis.db", "", "", [](Config& c, const Setting& s, ApplyState&) { redis_of(c).db = to_u32(s); }},
    {"redis.user", "", "", [](Config& c, const Setting& s, ApplyState&) { redis_of(c).user = to_text(s); }},
    {"redis.password", "redis.password", "password", apply_password<redis_password>},
    {"redis.password_file", "redis.password", "password_file", apply_password_file<redis_password>},
    {"redis.password_env", "redis.password", "password_env", apply_password_env<redis_password>},
    {"redis.connect_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { redis_of(c).connect_timeout = to_duration(s); }},
    {"redis.command_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { redis_of(c).command_timeout = to_duration(s); }},

    {"health.interval", "", "", [](Config& c, const Setting& s, ApplyState&) { c.health.interval = to_duration(s); }},
    {"health.probe_timeout", "", "", [](Config& c, const Setting& s, ApplyState&) { c.health.probe_timeout = to_duration(s); }},

    {"breaker.enabled", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.enabled = to_bool(s); }},
    {"breaker.window_size", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.window_size = to_count(s); }},
    {"breaker.minimum_calls", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.minimum_calls = to_count(s); }},
    {"breaker.failure_rate_threshold", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.failure_rate_threshold = to_number(s); }},
    {"breaker.slow_call_rate_threshold", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.slow_call_rate_threshold = to_number(s); }},
    {"breaker.slow_call_duration", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.slow_call_duration = to_duration(s); }},
    {"breaker.open_wait", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.open_wait = to_duration(s); }},
    {"breaker.open_wait_multiplier", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.open_wait_multiplier = to_number(s); }},
    {"breaker.max_open_wait", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.max_open_wait = to_duration(s); }},
    {"breaker.half_open_calls", "", "", [](Config& c, const Setting& s, ApplyState&) { c.breaker.half_open_calls = to_count(s); }},
});
// clang-format on

#undef UCM_ROLE_FIELDS

constexpr std::array<std::string_view, 10> kTables{"manager",
                                                  "pool",
                                                  "postgres",
                                                  "postgres.roles",
                                                  "postgres.roles.read_only",
                                                  "postgres.roles.read_write",
                                                  "postgres.roles.admin",
                                                  "redis",
                                                  "health",
                                                  "breaker"};

// An empty table still means something for the optional sections: `[redis]` asks for Redis.
void touch_table(Config& config, std::string_view table) {
    if (table == "redis") redis_of(config);
    if (table == "postgres.roles.read_only") role_of<&PgRoles::read_only>(config);
    if (table == "postgres.roles.read_write") role_of<&PgRoles::read_write>(config);
    if (table == "postgres.roles.admin") role_of<&PgRoles::admin>(config);
}

}  // namespace

void ApplyState::claim(std::string_view group, std::string_view kind, const std::string& origin) {
    auto it = claims_.find(group);
    if (it == claims_.end()) {
        claims_.emplace(std::string{group}, Claim{std::string{kind}, origin});
    } else if (it->second.kind != kind) {
        throw ConfigInvalid(origin, "conflicts with " + it->second.origin + "; give only one");
    }
}

std::span<const FieldSpec> config_fields() { return kFields; }
std::span<const std::string_view> config_tables() { return kTables; }

const FieldSpec* find_field(std::string_view path) {
    const auto it =
        std::find_if(kFields.begin(), kFields.end(), [&](const FieldSpec& f) { return f.path == path; });
    return it == kFields.end() ? nullptr : &*it;
}

bool is_config_table(std::string_view path) {
    return std::find(kTables.begin(), kTables.end(), path) != kTables.end();
}

std::string env_name(std::string_view path) {
    std::string name = "UCM_";
    for (char c : path) {
        name.push_back(c == '.' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
    }
    return name;
}

void apply_settings(Config& config, const SourceSettings& source) {
    for (const std::string& table : source.tables) touch_table(config, table);
    ApplyState state;
    for (const FieldSpec& field : kFields) {
        const auto it = source.values.find(std::string{field.path});
        if (it == source.values.end()) continue;
        if (!field.group.empty()) state.claim(field.group, field.kind, it->second.origin);
        field.apply(config, it->second, state);
    }
}

}  // namespace ucm::detail
