// Each class of invalid input, through the TOML loader (which validates) or validate() directly.
#include <ucm/core/config_load.hpp>
#include <ucm/core/config_validate.hpp>
#include <ucm/core/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::StartsWith;

const std::string kHosts = "[postgres]\nhosts = [\"127.0.0.1:5432\"]\n";

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const ucm::ConfigInvalid& error) {
        EXPECT_EQ(error.code(), ucm::Errc::config_invalid);
        return error.what();
    }
    ADD_FAILURE() << "expected ConfigInvalid";
    return {};
}

std::string load_error(const std::string& toml) {
    return error_of([&] { (void)ucm::load_config_string(toml, ucm::no_env()); });
}

TEST(ConfigInvalidKey, UnknownKeyNamesItsPath) {
    EXPECT_THAT(load_error(kHosts + "[pool]\ncolour = 1\n"), StartsWith("pool.colour: unknown key"));
}

TEST(ConfigInvalidKey, TypoSuggestsTheRightKey) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nsise = 20\n"), "pool.sise: unknown key (did you mean pool.size?)");
}

TEST(ConfigInvalidKey, KeyInTheWrongTableSuggestsTheRightOne) {
    EXPECT_THAT(load_error(kHosts + "[pool]\ndbname = \"app\"\n"),
                HasSubstr("did you mean postgres.dbname?"));
}

TEST(ConfigInvalidKey, UnknownTableIsAnUnknownKey) {
    EXPECT_THAT(load_error(kHosts + "[mysql]\nhost = \"x\"\n"), StartsWith("mysql: unknown key"));
}

TEST(ConfigInvalidKey, UnknownRoleTableIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[postgres.roles.superuser]\nuser = \"x\"\n"),
                StartsWith("postgres.roles.superuser: unknown key"));
}

TEST(ConfigInvalidKey, ValueWhereATableBelongsIsRejected) {
    EXPECT_EQ(load_error(kHosts + "pool = 3\n"), "postgres.pool: unknown key");
    EXPECT_EQ(load_error("pool = 3\n" + kHosts), "pool: expected a table");
}

TEST(ConfigInvalidType, WrongTypeIsNamed) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nsize = \"twenty\"\n"),
              "pool.size: expected an integer, got a string");
    EXPECT_EQ(load_error(kHosts + "[pool]\nreset_with_discard_all = 1\n"),
              "pool.reset_with_discard_all: expected a boolean, got an integer");
}

TEST(ConfigInvalidType, NonStringArrayItemNamesItsIndex) {
    EXPECT_EQ(load_error("[postgres]\nhosts = [\"a\", 5432]\n"), "postgres.hosts[1]: expected a string");
}

TEST(ConfigInvalidType, DatesAreRejected) {
    EXPECT_THAT(load_error(kHosts + "[pool]\nacquire_timeout = 2024-01-01\n"),
                StartsWith("pool.acquire_timeout: dates"));
}

TEST(ConfigInvalidValue, NegativeSizeIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nsize = -5\n"), "pool.size: must not be negative, got -5");
}

TEST(ConfigInvalidValue, ZeroSizeIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nsize = 0\n"), "pool.size: must be in 1..10000, got 0");
}

TEST(ConfigInvalidValue, OverflowOutOfRangeIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nmax_overflow = 5000\n"),
              "pool.max_overflow: must be <= 1000, got 5000");
}

TEST(ConfigInvalidValue, MinIdleAboveSizeIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nsize = 4\nmin_idle = 5\n"),
              "pool.min_idle: must be <= pool.size (4), got 5");
}

TEST(ConfigInvalidValue, MinIdleAbovePresetSizeIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[manager]\nmode = \"admin\"\n[pool]\nmin_idle = 6\n"),
              "pool.min_idle: must be <= pool.size (5), got 6");
}

TEST(ConfigInvalidValue, UnknownModeIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[manager]\nmode = \"turbo\"\n"),
                StartsWith("manager.mode: unknown name 'turbo' (valid: mcp_server,"));
}

TEST(ConfigInvalidValue, UnknownAccessNameIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[manager]\nallowed_access = [\"root\"]\n"),
                StartsWith("manager.allowed_access: unknown name"));
}

TEST(ConfigInvalidValue, BadDurationIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nacquire_timeout = \"5 seconds\"\n"),
              "pool.acquire_timeout: expected a duration like \"250ms\", \"5s\", \"10min\" or \"1h\", got '5 "
              "seconds'");
}

TEST(ConfigInvalidValue, DurationWithoutUnitIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[pool]\nacquire_timeout = \"5\"\n"),
                StartsWith("pool.acquire_timeout: expected a duration"));
}

TEST(ConfigInvalidValue, ZeroDurationIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nacquire_timeout = \"0s\"\n"),
              "pool.acquire_timeout: must be > 0, got 0ms");
}

TEST(ConfigInvalidValue, NegativeDurationIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[health]\ninterval = -1\n"),
              "health.interval: must not be negative, got -1");
}

TEST(ConfigInvalidValue, NoneIsOnlyForOptionalDurations) {
    EXPECT_THAT(load_error(kHosts + "[pool]\nacquire_timeout = \"none\"\n"),
                StartsWith("pool.acquire_timeout: expected a duration"));
}

TEST(ConfigInvalidValue, JitterOutOfRangeIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[pool]\nlifetime_jitter = 0.7\n"),
              "pool.lifetime_jitter: must be in 0.0..0.5, got 0.700000");
}

TEST(ConfigInvalidValue, NoPostgresHostIsRejected) {
    EXPECT_EQ(load_error("[pool]\nsize = 5\n"), "postgres.hosts: at least one host is required");
}

TEST(ConfigInvalidValue, HostPortZeroIsRejected) {
    EXPECT_EQ(load_error("[postgres]\nhosts = [\"db:0\"]\n"),
              "postgres.hosts[0]: port must be a number in 1..65535, got '0'");
}

TEST(ConfigInvalidValue, HostPortAboveRangeIsRejected) {
    EXPECT_EQ(load_error("[postgres]\nhosts = [\"a\", \"db:70000\"]\n"),
              "postgres.hosts[1]: port must be a number in 1..65535, got '70000'");
}

TEST(ConfigInvalidValue, MalformedPgUriIsRejected) {
    EXPECT_THAT(load_error("[postgres]\nuri = \"postgresql://db:notaport/app\"\n"),
                StartsWith("postgres.uri host #1: port must be"));
}

TEST(ConfigInvalidValue, MalformedConninfoIsRejected) {
    EXPECT_THAT(load_error("[postgres]\nuri = \"host=db dbname\"\n"),
                StartsWith("postgres.uri: expected '='"));
}

TEST(ConfigInvalidValue, MalformedRedisUrlIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[redis]\nurl = \"redis//cache\"\n"),
                StartsWith("redis.url: must start with redis://"));
}

TEST(ConfigInvalidValue, RedissIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[redis]\nurl = \"rediss://cache\"\n"),
                HasSubstr("hiredis 0.14 has no TLS"));
}

TEST(ConfigInvalidValue, RedisUrlAndSentinelsTogetherAreRejected) {
    EXPECT_EQ(
        load_error(kHosts + "[redis]\nurl = \"redis://c\"\nsentinels = [\"s1\"]\nmaster_name = \"m\"\n"),
        "redis.sentinels: conflicts with redis.url; give only one");
}

TEST(ConfigInvalidValue, SentinelsWithoutMasterNameAreRejected) {
    EXPECT_EQ(load_error(kHosts + "[redis]\nsentinels = [\"s1:26379\"]\n"),
              "redis.master_name: is required with redis.sentinels");
}

TEST(ConfigInvalidValue, EmptyRedisTableIsRejected) {
    EXPECT_THAT(load_error(kHosts + "[redis]\n"), StartsWith("redis.url: is required"));
}

TEST(ConfigInvalidValue, RoleWithoutUserIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[postgres.roles.read_only]\npassword = \"x\"\n"),
              "postgres.roles.read_only.user: must not be empty");
}

TEST(ConfigInvalidValue, BadManagerIdIsRejected) {
    EXPECT_EQ(load_error(kHosts + "[manager]\nid = \"my app\"\n"),
              "manager.id: must be 1..32 characters of [A-Za-z0-9_.-], got 'my app'");
}

TEST(ConfigInvalidValue, LongApplicationNameIsRejected) {
    EXPECT_THAT(load_error(kHosts + "application_name = \"" + std::string(64, 'a') + "\"\n"),
                HasSubstr("postgres.application_name: must be at most 63 bytes"));
}

TEST(ConfigInvalidValue, BadSslmodeIsRejected) {
    EXPECT_THAT(load_error(kHosts + "sslmode = \"strict\"\n"), HasSubstr("got 'strict'"));
}

TEST(ConfigInvalidSyntax, ReportsLineAndColumn) {
    EXPECT_THAT(load_error(kHosts + "[pool]\nsize = = 3\n"), StartsWith("<string>:4:"));
}

TEST(Validate, AcceptsADefaultPoolOptions) {
    EXPECT_NO_THROW(ucm::validate(ucm::PoolOptions{}));
    EXPECT_NO_THROW(ucm::validate(ucm::HealthOptions{}));
    EXPECT_NO_THROW(ucm::validate(ucm::ManagerOptions{}));
}

TEST(Validate, HandBuiltNegativeDurationIsRejected) {
    EXPECT_EQ(error_of([] { ucm::validate(ucm::PoolOptions{.acquire_timeout = -5ms}); }),
              "pool.acquire_timeout: must be > 0, got -5ms");
}

TEST(Validate, HandBuiltPortZeroIsRejected) {
    EXPECT_EQ(error_of([] {
                  ucm::validate(ucm::PgOptions{.hosts = {{"db", 0}}});
              }),
              "postgres.hosts[0].port: must be in 1..65535, got 0");
}

TEST(Validate, HandBuiltSentinelWithoutMasterNameIsRejected) {
    const ucm::RedisOptions redis{.topology = ucm::RedisSentinel{.sentinels = {{"s", 26379}}}};
    EXPECT_EQ(error_of([&] { ucm::validate(redis); }), "redis.master_name: is required with redis.sentinels");
}

TEST(Validate, HandBuiltOutOfRangeModeIsRejected) {
    EXPECT_THAT(
        error_of([] { ucm::validate(ucm::ManagerOptions{.mode = static_cast<ucm::ManagerMode>(42)}); }),
        StartsWith("manager.mode: must be a known mode"));
}

TEST(Validate, EmptyAllowedAccessIsRejected) {
    EXPECT_EQ(error_of([] { ucm::validate(ucm::ManagerOptions{.allowed_access = ucm::AccessSet{}}); }),
              "manager.allowed_access: must not be empty");
}

}  // namespace

namespace ucm {
namespace {

TEST(ConfigInvalidValue, StatementTimeoutBehindPgBouncerIsRejected) {
    Config config;
    config.postgres.hosts = {{.host = "127.0.0.1", .port = 6432}};
    config.postgres.unnamed_statements_only = true;
    config.postgres.statement_timeout = std::chrono::seconds{10};
    apply_mode_preset(config);
    try {
        validate(config);
        FAIL() << "accepted";
    } catch (const ConfigInvalid& e) {
        EXPECT_EQ(e.field(), "postgres.statement_timeout");
    }
}

}  // namespace
}  // namespace ucm
