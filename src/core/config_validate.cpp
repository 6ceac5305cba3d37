// validate(): the range and consistency checks of every options struct. Messages follow one
// pattern, "<field path>: must be <rule>, got <value>", and never show a secret.
#include "core/value_parse.hpp"

#include <ucm/core/config_validate.hpp>
#include <ucm/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace ucm {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kMaxIdLength = 32;
constexpr std::size_t kMaxApplicationName = 63;  // PostgreSQL's NAMEDATALEN - 1

[[noreturn]] void invalid(const std::string& field, const std::string& rule, const std::string& got) {
    throw ConfigInvalid(field, "must be " + rule + ", got " + got);
}

void check_positive(milliseconds value, const std::string& field) {
    if (value <= milliseconds::zero()) invalid(field, "> 0", detail::format_duration(value));
}

void check_positive(const std::optional<milliseconds>& value, const std::string& field) {
    if (value) check_positive(*value, field);
}

void check_not_negative(const std::optional<milliseconds>& value, const std::string& field) {
    if (value && *value < milliseconds::zero()) invalid(field, ">= 0", detail::format_duration(*value));
}

void check_endpoint(const Endpoint& endpoint, const std::string& field) {
    if (endpoint.host.empty()) throw ConfigInvalid(field + ".host", "must not be empty");
    if (endpoint.port == 0) invalid(field + ".port", "in 1..65535", "0");
}

void check_role(const std::optional<PgRole>& role, const std::string& name) {
    if (role && role->user.empty()) {
        throw ConfigInvalid("postgres.roles." + name + ".user", "must not be empty");
    }
}

bool valid_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

void validate_sentinel(const RedisSentinel& sentinel) {
    if (sentinel.sentinels.empty()) {
        throw ConfigInvalid("redis.sentinels", "at least one sentinel is required");
    }
    for (std::size_t i = 0; i < sentinel.sentinels.size(); ++i) {
        check_endpoint(sentinel.sentinels[i], "redis.sentinels[" + std::to_string(i) + "]");
    }
    if (sentinel.master_name.empty()) {
        throw ConfigInvalid("redis.master_name", "is required with redis.sentinels");
    }
}

}  // namespace

void validate(const ManagerOptions& options) {
    if (std::find(kAllManagerModes.begin(), kAllManagerModes.end(), options.mode) == kAllManagerModes.end()) {
        invalid("manager.mode", "a known mode", std::to_string(static_cast<int>(options.mode)));
    }
    if (options.id.empty() || options.id.size() > kMaxIdLength ||
        !std::all_of(options.id.begin(), options.id.end(), valid_id_char)) {
        invalid("manager.id", "1..32 characters of [A-Za-z0-9_.-]", "'" + options.id + "'");
    }
    if (options.allowed_access && options.allowed_access->empty()) {
        throw ConfigInvalid("manager.allowed_access", "must not be empty");
    }
    check_positive(options.sla_p99_target, "manager.sla_p99_target");
}

void validate(const PoolOptions& options) {
    if (options.size && (*options.size < 1 || *options.size > kMaxPoolSize)) {
        invalid("pool.size", "in 1.." + std::to_string(kMaxPoolSize), std::to_string(*options.size));
    }
    if (options.max_overflow && *options.max_overflow > kMaxPoolOverflow) {
        invalid("pool.max_overflow", "<= " + std::to_string(kMaxPoolOverflow),
                std::to_string(*options.max_overflow));
    }
    if (options.size && options.min_idle > *options.size) {
        invalid("pool.min_idle", "<= pool.size (" + std::to_string(*options.size) + ")",
                std::to_string(options.min_idle));
    }
    check_positive(options.acquire_timeout, "pool.acquire_timeout");
    check_positive(options.idle_timeout, "pool.idle_timeout");
    check_positive(options.max_lifetime, "pool.max_lifetime");
    // Written as a negated range check so NaN fails too.
    if (!(options.lifetime_jitter >= 0.0 && options.lifetime_jitter <= kMaxLifetimeJitter)) {
        invalid("pool.lifetime_jitter", "in 0.0..0.5", std::to_string(options.lifetime_jitter));
    }
    if (options.validate_after_idle < milliseconds::zero()) {
        invalid("pool.validate_after_idle", ">= 0", detail::format_duration(options.validate_after_idle));
    }
    check_positive(options.leak_threshold, "pool.leak_threshold");
}

void validate(const PgOptions& options) {
    if (options.hosts.empty()) throw ConfigInvalid("postgres.hosts", "at least one host is required");
    for (std::size_t i = 0; i < options.hosts.size(); ++i) {
        check_endpoint(options.hosts[i], "postgres.hosts[" + std::to_string(i) + "]");
    }
    if (options.application_name.size() > kMaxApplicationName) {
        invalid("postgres.application_name", "at most 63 bytes",
                std::to_string(options.application_name.size()) + " bytes");
    }
    check_positive(options.connect_timeout, "postgres.connect_timeout");
    check_positive(options.query_timeout, "postgres.query_timeout");
    check_positive(options.statement_timeout, "postgres.statement_timeout");
    if (options.statement_timeout && options.unnamed_statements_only) {
        // It is sent as a startup option, which PgBouncer rejects; silently dropping it would
        // leave statements without the limit the operator asked for.
        throw ConfigInvalid("postgres.statement_timeout",
                            "cannot be combined with postgres.unnamed_statements_only (PgBouncer rejects the "
                            "startup option that carries it)");
    }
    check_not_negative(options.max_replication_lag, "postgres.max_replication_lag");
    check_positive(options.topology_refresh, "postgres.topology_refresh");
    check_role(options.roles.read_only, "read_only");
    check_role(options.roles.read_write, "read_write");
    check_role(options.roles.admin, "admin");
}

void validate(const RedisOptions& options) {
    if (const auto* standalone = std::get_if<RedisStandalone>(&options.topology)) {
        if (standalone->endpoint.host.empty()) {
            throw ConfigInvalid("redis.url", "is required (or redis.sentinels with redis.master_name)");
        }
        check_endpoint(standalone->endpoint, "redis.url");
    } else {
        validate_sentinel(std::get<RedisSentinel>(options.topology));
    }
    check_positive(options.connect_timeout, "redis.connect_timeout");
    check_positive(options.command_timeout, "redis.command_timeout");
}

void validate(const HealthOptions& options) {
    check_positive(options.interval, "health.interval");
    check_positive(options.probe_timeout, "health.probe_timeout");
}

void check_fraction(double value, const std::string& field) {
    if (!(value > 0.0 && value <= 1.0)) invalid(field, "in (0, 1]", fmt::format("{}", value));
}

void validate(const BreakerOptions& b) {
    if (b.window_size < 1) invalid("breaker.window_size", ">= 1", "0");
    if (b.minimum_calls < 1 || b.minimum_calls > b.window_size) {
        invalid("breaker.minimum_calls", fmt::format("in 1..breaker.window_size ({})", b.window_size),
                std::to_string(b.minimum_calls));
    }
    check_fraction(b.failure_rate_threshold, "breaker.failure_rate_threshold");
    check_fraction(b.slow_call_rate_threshold, "breaker.slow_call_rate_threshold");
    check_positive(b.slow_call_duration, "breaker.slow_call_duration");
    check_positive(b.open_wait, "breaker.open_wait");
    if (!(b.open_wait_multiplier >= 1.0)) {
        invalid("breaker.open_wait_multiplier", ">= 1", fmt::format("{}", b.open_wait_multiplier));
    }
    if (b.max_open_wait < b.open_wait) {
        invalid("breaker.max_open_wait", fmt::format(">= breaker.open_wait ({} ms)", b.open_wait.count()),
                fmt::format("{} ms", b.max_open_wait.count()));
    }
    if (b.half_open_calls < 1) invalid("breaker.half_open_calls", ">= 1", "0");
}

void validate(const Config& config) {
    validate(config.manager);
    validate(config.breaker);
    validate(config.pool);
    validate(config.postgres);
    if (config.redis) validate(*config.redis);
    validate(config.health);
    // min_idle against the size the pool will really have, preset included.
    const std::size_t size = config.pool.size.value_or(mode_preset(config.manager.mode).pool_size);
    if (config.pool.min_idle > size) {
        invalid("pool.min_idle", "<= pool.size (" + std::to_string(size) + ")",
                std::to_string(config.pool.min_idle));
    }
}

}  // namespace ucm
