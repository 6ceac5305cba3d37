#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using ucm::Config;
using ucm::ConnectionMode;
using ucm::Endpoint;

constexpr std::string_view kMinimal = "[postgres]\nhosts = [\"127.0.0.1:5432\"]\n";

ucm::EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>{it->second};
    };
}

Config load(std::string_view toml, const ucm::EnvLookup& env = ucm::no_env()) {
    return ucm::load_config_string(toml, env);
}

std::string error_of(std::string_view toml, const ucm::EnvLookup& env = ucm::no_env()) {
    try {
        (void)load(toml, env);
    } catch (const ucm::ConfigInvalid& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected ConfigInvalid";
    return {};
}

// A file in the test's own temporary directory, removed at the end of the test.
class TempFile {
  public:
    explicit TempFile(std::string_view content)
        : path_(std::filesystem::temp_directory_path() /
                ("ucm-core-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

constexpr std::string_view kFull = R"toml(
[manager]
mode = "mcp_server"
id = "api-1"
allowed_access = ["read_only", "read_write", "admin"]
refuse_over_max_connections = true

[pool]
size = 25
max_overflow = 5
min_idle = 2
acquire_timeout = "2s"
max_waiters = 500
idle_timeout = "5min"
max_lifetime = "none"
lifetime_jitter = 0.05
validate_after_idle = 0
leak_threshold = "90s"
reset_with_discard_all = true

[postgres]
hosts = ["10.0.0.1:5432", "10.0.0.2", "[::1]:5433"]
dbname = "app"
user = "app_rw"
password = "pw"
application_name = "api"
connect_timeout = "3s"
query_timeout = 250
statement_timeout = "10s"
sslmode = "verify-full"
sslrootcert = "/etc/ssl/ca.pem"
unnamed_statements_only = false
read_only_fallback = "forbid"
max_replication_lag = "5s"
max_replication_lag_bytes = "64MiB"
topology_refresh = "500ms"

[postgres.roles.read_only]
user = "app_ro"
password = "ro"

[redis]
sentinels = ["10.0.0.5:26379", "10.0.0.6"]
master_name = "mymaster"
sentinel_password = "sp"
db = 2
password = "rp"
connect_timeout = "1s"
command_timeout = "750ms"

[health]
interval = "15s"
probe_timeout = "2s"
)toml";

TEST(ConfigLoad, FullExampleMapsEveryKey) {
    const Config expected{
        .manager = {.mode = ucm::ManagerMode::McpServer,
                    .id = "api-1",
                    .allowed_access = ucm::AccessSet{ConnectionMode::ReadOnly, ConnectionMode::ReadWrite,
                                                     ConnectionMode::Admin},
                    .sla_p99_target = 200ms,  // from the preset
                    .refuse_over_max_connections = true},
        .pool = {.size = 25,
                 .max_overflow = 5,
                 .min_idle = 2,
                 .acquire_timeout = 2s,
                 .max_waiters = 500,
                 .idle_timeout = 5min,
                 .max_lifetime = std::nullopt,
                 .lifetime_jitter = 0.05,
                 .validate_after_idle = 0ms,
                 .leak_threshold = 90s,
                 .reset_with_discard_all = true},
        .postgres = {.hosts = {{"10.0.0.1", 5432}, {"10.0.0.2", 5432}, {"::1", 5433}},
                     .dbname = "app",
                     .user = "app_rw",
                     .password = ucm::Secret{"pw"},
                     .application_name = "api",
                     .connect_timeout = 3s,
                     .query_timeout = 250ms,
                     .statement_timeout = 10s,
                     .sslmode = ucm::SslMode::VerifyFull,
                     .sslrootcert = "/etc/ssl/ca.pem",
                     .unnamed_statements_only = false,
                     .read_only_fallback = ucm::ReadOnlyFallback::Forbid,
                     .max_replication_lag = 5s,
                     .max_replication_lag_bytes = 64ULL << 20,
                     .topology_refresh = 500ms,
                     .roles = {.read_only = ucm::PgRole{.user = "app_ro", .password = ucm::Secret{"ro"}}}},
        .redis = ucm::RedisOptions{.topology = ucm::RedisSentinel{.sentinels = {{"10.0.0.5", 26379},
                                                                                {"10.0.0.6", 26379}},
                                                                  .master_name = "mymaster",
                                                                  .sentinel_password = ucm::Secret{"sp"}},
                                   .db = 2,
                                   .password = ucm::Secret{"rp"},
                                   .connect_timeout = 1s,
                                   .command_timeout = 750ms},
        .health = {.interval = 15s, .probe_timeout = 2s},
    };
    EXPECT_EQ(load(kFull), expected);
}

TEST(ConfigLoad, MinimalFileGetsDesignDefaults) {
    const Config config = load(kMinimal);
    EXPECT_EQ(config.manager.mode, ucm::ManagerMode::AsyncModern);
    EXPECT_EQ(config.pool.acquire_timeout, 5s);
    EXPECT_EQ(config.pool.max_waiters, 100'000U);
    EXPECT_EQ(config.pool.min_idle, 0U);
    EXPECT_EQ(config.pool.idle_timeout, 10min);
    EXPECT_EQ(config.pool.max_lifetime, 30min);
    EXPECT_EQ(config.pool.leak_threshold, 60s);
    EXPECT_EQ(config.postgres.connect_timeout, 5s);
    EXPECT_EQ(config.postgres.max_replication_lag, 30s);
    EXPECT_EQ(config.postgres.max_replication_lag_bytes, 16U << 20);
    EXPECT_EQ(config.postgres.topology_refresh, 1s);
    EXPECT_EQ(config.health.interval, 10s);
    EXPECT_FALSE(config.redis);
}

TEST(ConfigLoad, ModePresetFillsUnsetSizesAndDeadlines) {
    const Config config =
        load(std::string{kMinimal} + "[manager]\nmode = \"McpServer\"\n[redis]\nurl = \"redis://c\"\n");
    EXPECT_EQ(config.pool.size, 20U);
    EXPECT_EQ(config.pool.max_overflow, 10U);
    EXPECT_EQ(config.postgres.query_timeout, 5s);
    EXPECT_EQ(config.redis->command_timeout, 5s);
    EXPECT_EQ(config.manager.sla_p99_target, 200ms);
}

TEST(ConfigLoad, FileOverridesModePreset) {
    const Config config =
        load(std::string{kMinimal} + "[manager]\nmode = \"ml_training\"\n[pool]\nsize = 3\n");
    EXPECT_EQ(config.pool.size, 3U);
    EXPECT_EQ(config.pool.max_overflow, 10U);  // still the preset's
}

TEST(ConfigLoad, EnvironmentOverridesFile) {
    const Config config = load(std::string{kMinimal} + "[pool]\nsize = 3\n",
                               env_of({{"UCM_POOL_SIZE", "7"}, {"UCM_POOL_ACQUIRE_TIMEOUT", "250ms"}}));
    EXPECT_EQ(config.pool.size, 7U);
    EXPECT_EQ(config.pool.acquire_timeout, 250ms);
}

TEST(ConfigLoad, EnvironmentModeChoosesThePreset) {
    const Config config = load(std::string{kMinimal} + "[manager]\nmode = \"admin\"\n",
                               env_of({{"UCM_MANAGER_MODE", "high_availability"}}));
    EXPECT_EQ(config.manager.mode, ucm::ManagerMode::HighAvailability);
    EXPECT_EQ(config.pool.size, 20U);
    EXPECT_EQ(config.pool.max_overflow, 20U);
}

TEST(ConfigLoad, EnvironmentDigitsAloneAreMilliseconds) {
    EXPECT_EQ(load(kMinimal, env_of({{"UCM_POOL_ACQUIRE_TIMEOUT", "1500"}})).pool.acquire_timeout, 1500ms);
}

TEST(ConfigLoad, EnvironmentListsAreCommaSeparated) {
    const Config config = load(kMinimal, env_of({{"UCM_POSTGRES_HOSTS", "a:1,b:2"}}));
    EXPECT_EQ(config.postgres.hosts, (std::vector<Endpoint>{{"a", 1}, {"b", 2}}));
}

TEST(ConfigLoad, EnvironmentUriReplacesFileHosts) {
    const Config config = load(kMinimal, env_of({{"UCM_POSTGRES_URI", "postgresql://app@h1,h2:5433/db"}}));
    EXPECT_EQ(config.postgres.hosts, (std::vector<Endpoint>{{"h1", 5432}, {"h2", 5433}}));
    EXPECT_EQ(config.postgres.user, "app");
}

TEST(ConfigLoad, EnvironmentRedisUrlCreatesTheRedisSection) {
    const Config config = load(kMinimal, env_of({{"UCM_REDIS_URL", "redis://cache:6380/1"}}));
    ASSERT_TRUE(config.redis);
    EXPECT_EQ(std::get<ucm::RedisStandalone>(config.redis->topology).endpoint, (Endpoint{"cache", 6380}));
    EXPECT_EQ(config.redis->db, 1U);
}

TEST(ConfigLoad, EnvironmentBadValueNamesTheVariable) {
    EXPECT_THAT(error_of(kMinimal, env_of({{"UCM_POOL_SIZE", "many"}})),
                HasSubstr("pool.size (from UCM_POOL_SIZE): expected a non-negative integer, got 'many'"));
}

TEST(ConfigLoad, UriKeysBesideItOverrideIt) {
    const Config config = load("[postgres]\nuri = \"postgresql://u@h/db1\"\ndbname = \"db2\"\n");
    EXPECT_EQ(config.postgres.dbname, "db2");
    EXPECT_EQ(config.postgres.user, "u");
}

TEST(ConfigLoad, ConninfoIsAcceptedAsUri) {
    EXPECT_EQ(load("[postgres]\nuri = \"host=h1,h2 port=6432 dbname=app\"\n").postgres.hosts,
              (std::vector<Endpoint>{{"h1", 6432}, {"h2", 6432}}));
}

TEST(ConfigLoad, PasswordFromFileDropsTrailingNewline) {
    const TempFile file("s3cret-from-file\n");
    const Config config = load(std::string{kMinimal} + "password_file = \"" + file.path().string() + "\"\n");
    EXPECT_EQ(config.postgres.password.reveal(), "s3cret-from-file");
}

TEST(ConfigLoad, MissingPasswordFileNamesTheField) {
    EXPECT_THAT(error_of(std::string{kMinimal} + "password_file = \"/nonexistent/ucm-pw\"\n"),
                HasSubstr("postgres.password_file: cannot read '/nonexistent/ucm-pw'"));
}

TEST(ConfigLoad, EmptyPasswordFileIsRejected) {
    const TempFile file("\n");
    EXPECT_THAT(error_of(std::string{kMinimal} + "password_file = \"" + file.path().string() + "\"\n"),
                HasSubstr("is empty"));
}

TEST(ConfigLoad, PasswordFromNamedEnvironmentVariable) {
    const Config config =
        load(std::string{kMinimal} + "password_env = \"APP_DB_PW\"\n", env_of({{"APP_DB_PW", "from-env"}}));
    EXPECT_EQ(config.postgres.password.reveal(), "from-env");
}

TEST(ConfigLoad, UnsetPasswordEnvVariableNamesIt) {
    EXPECT_THAT(error_of(std::string{kMinimal} + "password_env = \"APP_DB_PW\"\n"),
                HasSubstr("postgres.password_env: environment variable APP_DB_PW is not set"));
}

TEST(ConfigLoad, EnvironmentPasswordReplacesFilePasswordFile) {
    const Config config = load(std::string{kMinimal} + "password_file = \"/nonexistent\"\n",
                               env_of({{"UCM_POSTGRES_PASSWORD", "env-pw"}}));
    EXPECT_EQ(config.postgres.password.reveal(), "env-pw");
    EXPECT_TRUE(config.postgres.password_file.empty());
}

TEST(ConfigLoad, PasswordAndPasswordFileInOneSourceConflict) {
    EXPECT_THAT(error_of(std::string{kMinimal} + "password = \"a\"\npassword_file = \"/x\"\n"),
                HasSubstr("postgres.password_file: conflicts with postgres.password; give only one"));
}

TEST(ConfigLoad, UriPasswordAndPasswordFileConflict) {
    EXPECT_THAT(error_of("[postgres]\nuri = \"postgresql://u:pw@h/db\"\npassword_file = \"/x\"\n"),
                HasSubstr("conflicts with postgres.uri (its password)"));
}

TEST(ConfigLoad, RedisPasswordFromFile) {
    const TempFile file("redis-pw\r\n");
    const Config config = load(std::string{kMinimal} + "[redis]\nurl = \"redis://c\"\npassword_file = \"" +
                               file.path().string() + "\"\n");
    EXPECT_EQ(config.redis->password.reveal(), "redis-pw");
}

TEST(ConfigLoad, RoleFromItsOwnTable) {
    const Config config =
        load(std::string{kMinimal} + "[postgres.roles.admin]\nuser = \"dba\"\npassword_env = \"DBA_PW\"\n",
             env_of({{"DBA_PW", "x"}}));
    ASSERT_TRUE(config.postgres.roles.admin);
    EXPECT_EQ(config.postgres.roles.admin->user, "dba");
    EXPECT_EQ(config.postgres.roles.admin->password.reveal(), "x");
}

TEST(ConfigLoad, FromFileOnDisk) {
    const TempFile file(kMinimal);
    EXPECT_EQ(ucm::load_config(file.path(), ucm::no_env()).postgres.hosts,
              (std::vector<Endpoint>{{"127.0.0.1", 5432}}));
}

TEST(ConfigLoad, MissingFileIsConfigInvalid) {
    EXPECT_THROW((void)ucm::load_config("/nonexistent/ucm.toml", ucm::no_env()), ucm::ConfigInvalid);
}

TEST(ConfigLoad, ResolveSecretsWorksOnAHandBuiltConfig) {
    Config config{.postgres = {.hosts = {{"h", 5432}}, .password_env = "PW"}};
    ucm::resolve_secrets(config, env_of({{"PW", "hand"}}));
    EXPECT_EQ(config.postgres.password.reveal(), "hand");
}

}  // namespace

namespace {

TEST(ConfigDescribe, OutputWithoutSecretsLoadsBackToTheSameConfig) {
    const Config original = load(
        "[manager]\nmode = \"sync_heavy\"\nid = \"x\"\n[pool]\nmax_lifetime = \"none\"\nlifetime_jitter = "
        "0.1\n"
        "[postgres]\nhosts = [\"a:1\", \"[::1]:2\"]\ndbname = \"d\\\"q\"\nmax_replication_lag_bytes = "
        "\"none\"\n"
        "[postgres.roles.read_only]\nuser = \"ro\"\n[redis]\nurl = \"redis://c:7/3\"\n");
    EXPECT_EQ(load(ucm::describe(original)), original);
}

TEST(ConfigDescribe, SummaryNamesModeSizesAndHosts) {
    const std::string summary = ucm::summarize(load(std::string{kMinimal} + "[manager]\nmode = \"admin\"\n"));
    EXPECT_THAT(summary, HasSubstr("mode=admin"));
    EXPECT_THAT(summary, HasSubstr("pool=5+2 per endpoint"));
    EXPECT_THAT(summary, HasSubstr("hosts=127.0.0.1:5432"));
    EXPECT_THAT(summary, HasSubstr("redis:    (none)"));
}

}  // namespace
