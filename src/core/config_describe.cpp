// summarize() and describe(): the configuration as people read it. Secrets go through Secret's
// formatter, so they cannot print as anything but "***".
#include "core/secret_format.hpp"
#include "core/value_parse.hpp"

#include <ucm/core/config.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

namespace ucm {
namespace {

using detail::format_duration;

std::string join(const std::vector<Endpoint>& endpoints) {
    std::string out;
    for (const Endpoint& endpoint : endpoints) out += (out.empty() ? "" : ",") + endpoint.to_string();
    return out;
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += fmt::format("\\{}", c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        } else {
            out.push_back(c);
        }
    }
    return out + "\"";
}

std::string quote_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const std::string& item : items) out += (out.size() > 1 ? ", " : "") + quote(item);
    return out + "]";
}

std::vector<std::string> endpoint_strings(const std::vector<Endpoint>& endpoints) {
    std::vector<std::string> out;
    for (const Endpoint& endpoint : endpoints) out.push_back(endpoint.to_string());
    return out;
}

std::string duration(std::chrono::milliseconds value) { return quote(format_duration(value)); }
std::string count(std::size_t value) { return std::to_string(value); }

std::string optional_duration(const std::optional<std::chrono::milliseconds>& value) {
    return value ? duration(*value) : quote("none");
}

// The text of an optional value, or nullopt.
template <typename T, typename Show>
std::optional<std::string> shown(const std::optional<T>& value, Show show) {
    return value ? std::optional<std::string>{show(*value)} : std::nullopt;
}

std::string password_summary(const Secret& password) {
    return password.empty() ? "(none)" : fmt::format("{}", password);
}

std::string access_list(const AccessSet& access) {
    std::vector<std::string> names;
    for (ConnectionMode mode : kAllConnectionModes) {
        if (access.contains(mode)) names.emplace_back(to_string(mode));
    }
    return quote_list(names);
}

// Lines of one table: `key = value`, with optional fields that are unset shown as comments.
class TomlWriter {
  public:
    void table(std::string_view name) { out_ += fmt::format("{}[{}]\n", out_.empty() ? "" : "\n", name); }
    void key(std::string_view name, const std::string& value) {
        out_ += fmt::format("{} = {}\n", name, value);
    }
    /// A field the mode preset fills when unset; an unset one shows as a comment.
    void preset(std::string_view name, const std::optional<std::string>& value) {
        if (value) {
            key(name, *value);
        } else {
            out_ += fmt::format("# {}: unset (mode preset)\n", name);
        }
    }
    void secret(const Secret& value, const std::filesystem::path& file, const std::string& env) {
        if (!value.empty()) key("password", fmt::format("\"{}\"", value));
        if (!file.empty()) key("password_file", quote(file.string()));
        if (!env.empty()) key("password_env", quote(env));
    }
    [[nodiscard]] std::string str() && { return std::move(out_); }

  private:
    std::string out_;
};

void describe_manager(TomlWriter& w, const ManagerOptions& m) {
    w.table("manager");
    w.key("mode", quote(to_string(m.mode)));
    w.key("id", quote(m.id));
    w.preset("allowed_access", shown(m.allowed_access, access_list));
    w.preset("sla_p99_target", shown(m.sla_p99_target, duration));
    w.key("refuse_over_max_connections", fmt::format("{}", m.refuse_over_max_connections));
}

void describe_pool(TomlWriter& w, const PoolOptions& p) {
    w.table("pool");
    w.preset("size", shown(p.size, count));
    w.preset("max_overflow", shown(p.max_overflow, count));
    w.key("min_idle", std::to_string(p.min_idle));
    w.key("acquire_timeout", duration(p.acquire_timeout));
    w.key("max_waiters", std::to_string(p.max_waiters));
    w.key("idle_timeout", optional_duration(p.idle_timeout));
    w.key("max_lifetime", optional_duration(p.max_lifetime));
    w.key("lifetime_jitter", fmt::format("{}", p.lifetime_jitter));
    w.key("validate_after_idle", duration(p.validate_after_idle));
    w.key("leak_threshold", optional_duration(p.leak_threshold));
    w.key("reset_with_discard_all", fmt::format("{}", p.reset_with_discard_all));
}

void describe_role(TomlWriter& w, const std::optional<PgRole>& role, std::string_view name) {
    if (!role) return;
    w.table(fmt::format("postgres.roles.{}", name));
    w.key("user", quote(role->user));
    w.secret(role->password, role->password_file, role->password_env);
}

void describe_postgres(TomlWriter& w, const PgOptions& pg) {
    w.table("postgres");
    w.key("hosts", quote_list(endpoint_strings(pg.hosts)));
    w.key("dbname", quote(pg.dbname));
    w.key("user", quote(pg.user));
    w.secret(pg.password, pg.password_file, pg.password_env);
    w.key("application_name", quote(pg.application_name));
    w.key("connect_timeout", duration(pg.connect_timeout));
    w.preset("query_timeout", shown(pg.query_timeout, duration));
    w.key("statement_timeout", optional_duration(pg.statement_timeout));
    w.key("sslmode", quote(to_string(pg.sslmode)));
    if (!pg.sslrootcert.empty()) w.key("sslrootcert", quote(pg.sslrootcert.string()));
    if (!pg.sslcert.empty()) w.key("sslcert", quote(pg.sslcert.string()));
    if (!pg.sslkey.empty()) w.key("sslkey", quote(pg.sslkey.string()));
    if (!pg.sslpassword.empty()) w.key("sslpassword", fmt::format("\"{}\"", pg.sslpassword));
    w.key("unnamed_statements_only", fmt::format("{}", pg.unnamed_statements_only));
    w.key("read_only_fallback", quote(to_string(pg.read_only_fallback)));
    w.key("read_policy", quote(to_string(pg.read_policy)));
    w.key("max_replication_lag", optional_duration(pg.max_replication_lag));
    w.key("max_replication_lag_bytes", pg.max_replication_lag_bytes
                                           ? quote(detail::format_byte_size(*pg.max_replication_lag_bytes))
                                           : quote("none"));
    w.key("topology_refresh", duration(pg.topology_refresh));
    describe_role(w, pg.roles.read_only, "read_only");
    describe_role(w, pg.roles.read_write, "read_write");
    describe_role(w, pg.roles.admin, "admin");
}

void describe_redis(TomlWriter& w, const RedisOptions& r) {
    w.table("redis");
    if (const auto* standalone = std::get_if<RedisStandalone>(&r.topology)) {
        // Credentials are separate keys, so the URL shown carries none.
        w.key("url", quote("redis://" + standalone->endpoint.to_string()));
    } else {
        const auto& sentinel = std::get<RedisSentinel>(r.topology);
        w.key("sentinels", quote_list(endpoint_strings(sentinel.sentinels)));
        w.key("master_name", quote(sentinel.master_name));
        if (!sentinel.sentinel_password.empty()) {
            w.key("sentinel_password", fmt::format("\"{}\"", sentinel.sentinel_password));
        }
    }
    w.key("db", std::to_string(r.db));
    w.key("user", quote(r.user));
    w.secret(r.password, r.password_file, r.password_env);
    w.key("connect_timeout", duration(r.connect_timeout));
    w.preset("command_timeout", shown(r.command_timeout, duration));
}

}  // namespace

std::string summarize(const Config& config) {
    const PgOptions& pg = config.postgres;
    const std::size_t size = config.pool.size.value_or(mode_preset(config.manager.mode).pool_size);
    const std::size_t overflow =
        config.pool.max_overflow.value_or(mode_preset(config.manager.mode).max_overflow);
    std::string out = fmt::format("manager:  mode={} id={} pool={}+{} per endpoint\n",
                                  to_string(config.manager.mode), config.manager.id, size, overflow);
    out += fmt::format("postgres: hosts={} dbname={} user={} password={} sslmode={}\n", join(pg.hosts),
                       pg.dbname, pg.user, password_summary(pg.password), to_string(pg.sslmode));
    if (!config.redis) return out + "redis:    (none)\n";
    const RedisOptions& r = *config.redis;
    if (const auto* standalone = std::get_if<RedisStandalone>(&r.topology)) {
        out += fmt::format("redis:    standalone {}", standalone->endpoint.to_string());
    } else {
        const auto& sentinel = std::get<RedisSentinel>(r.topology);
        out += fmt::format("redis:    sentinel master_name={} sentinels={} sentinel_password={}",
                           sentinel.master_name, join(sentinel.sentinels),
                           password_summary(sentinel.sentinel_password));
    }
    return out + fmt::format(" db={} password={}\n", r.db, password_summary(r.password));
}

std::string describe(const Config& config) {
    TomlWriter w;
    describe_manager(w, config.manager);
    describe_pool(w, config.pool);
    describe_postgres(w, config.postgres);
    if (config.redis) describe_redis(w, *config.redis);
    w.table("health");
    w.key("interval", duration(config.health.interval));
    w.key("probe_timeout", duration(config.health.probe_timeout));
    const BreakerOptions& b = config.breaker;
    w.table("breaker");
    w.key("enabled", fmt::format("{}", b.enabled));
    w.key("window_size", fmt::format("{}", b.window_size));
    w.key("minimum_calls", fmt::format("{}", b.minimum_calls));
    w.key("failure_rate_threshold", fmt::format("{}", b.failure_rate_threshold));
    w.key("slow_call_rate_threshold", fmt::format("{}", b.slow_call_rate_threshold));
    w.key("slow_call_duration", duration(b.slow_call_duration));
    w.key("open_wait", duration(b.open_wait));
    w.key("open_wait_multiplier", fmt::format("{}", b.open_wait_multiplier));
    w.key("max_open_wait", duration(b.max_open_wait));
    w.key("half_open_calls", fmt::format("{}", b.half_open_calls));
    return std::move(w).str();
}

}  // namespace ucm
