// The Redis pools (limits, generations, retire) and manager.redis(), observed from the server
// with CLIENT LIST. The master is shared with other tests: clients and keys have unique names.
#include "core/log.hpp"
#include "support/redis_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/redis/connection.hpp>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <future>
#include <optional>
#include <sstream>
#include <string>

namespace ucm::test {
namespace {

TEST(RedisPools, NeverOpenMoreThanSizePlusOverflowAndReuseIdleConnections) {
    auto config = redis_config("limits", 2, 1);
    config.pool.acquire_timeout = 300ms;
    auto pools = redis_pools(config);
    RedisObserver observer;
    const std::string name = client_name_of(config);
    {
        std::vector<redis::Connection> held;
        for (int i = 0; i < 3; ++i) {
            held.push_back(pools->acquire(ConnectionMode::ReadWrite, std::source_location::current()));
        }
        EXPECT_EQ(observer.count_named(name), 3U);
        EXPECT_THROW((void)pools->acquire(ConnectionMode::ReadWrite, std::source_location::current()), PoolTimeout);
        EXPECT_EQ(observer.count_named(name), 3U);
    }
    EXPECT_TRUE(eventually([&] { return observer.count_named(name) == 2; })) << "overflow not closed";
    for (int round = 0; round < 3; ++round) {
        auto a = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        auto b = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        EXPECT_EQ(a.command("PING").as_string(), "PONG");
    }
    EXPECT_EQ(observer.count_named(name), 2U);
    const auto stats = redis_pool_of(pools->pool_health(), ConnectionMode::ReadWrite).stats;
    EXPECT_EQ(stats.created, 3U) << "idle connections were not reused";
    EXPECT_EQ(stats.timeouts, 1U);
}

TEST(RedisPools, EachModeHasItsOwnPool) {
    auto config = redis_config("modes", 1, 0);
    config.pool.acquire_timeout = 200ms;
    auto pools = redis_pools(config);
    auto rw = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    auto ro = pools->acquire(ConnectionMode::ReadOnly, std::source_location::current());  // not starved by rw
    EXPECT_EQ(ro.mode(), ConnectionMode::ReadOnly);
    EXPECT_EQ(rw.mode(), ConnectionMode::ReadWrite);
    EXPECT_EQ(RedisObserver().count_named(client_name_of(config)), 2U);
}

TEST(RedisPools, RetireRefusesALeaseOfTheOldGenerationBeforeSending) {
    auto config = redis_config("retire");
    std::vector<Errc> reported;
    auto pools = redis_pools(config, [&](const Error& e, ConnectionMode) { reported.push_back(e.code()); });
    RedisObserver observer;
    const std::string counter = unique_key("retire") + "counter";
    auto old_lease = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    EXPECT_EQ(old_lease.command("INCR", counter).as_integer(), 1);
    {
        auto idle = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    }
    EXPECT_EQ(observer.count_named(client_name_of(config)), 2U);

    pools->retire(1);
    EXPECT_EQ(pools->generation(), 1U);
    try {
        old_lease.command("INCR", counter);
        FAIL() << "a lease of the retired generation sent a command";
    } catch (const ConnectionFailed& e) {
        EXPECT_TRUE(e.retriable());
        EXPECT_NE(std::string(e.what()).find("endpoint changed role"), std::string::npos) << e.what();
    }
    EXPECT_EQ(observer.run({"GET", counter}).as_string(), "1") << "the stale lease's INCR reached the server";
    ASSERT_FALSE(reported.empty());
    EXPECT_EQ(reported.back(), Errc::connection_failed);
    old_lease.release();
    // The idle one closed at retire, the leased one at its release.
    EXPECT_TRUE(eventually([&] { return observer.count_named(client_name_of(config)) == 0; }));

    auto fresh = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    EXPECT_EQ(fresh.command("INCR", counter).as_integer(), 2);
    pools->retire(1);  // not newer: nothing happens
    EXPECT_EQ(fresh.command("DEL", counter).as_integer(), 1);
}

TEST(RedisPools, RetireMakesACommandInFlightFailAtOnce) {
    auto config = redis_config("inflight");
    auto pools = redis_pools(config);
    RedisObserver observer;
    const std::string key = unique_key("inflight") + "never-pushed";
    auto lease = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    auto blocked = std::async(std::launch::async, [&]() -> std::optional<Errc> {
        try {
            // Answered with nil after 2 s (within the 5 s command timeout), unless its socket
            // is shut down first.
            (void)lease.command("BLPOP", key, 2);
            return std::nullopt;
        } catch (const Error& e) {
            return e.code();
        }
    });
    ASSERT_TRUE(eventually([&] {
        for (const auto& line : observer.clients_named(client_name_of(config))) {
            if (line.find(" cmd=blpop ") != std::string::npos) return true;
        }
        return false;
    })) << "BLPOP never reached the server";
    pools->retire(1);
    const auto outcome = blocked.get();
    ASSERT_TRUE(outcome.has_value()) << "BLPOP ran to its end on a retired connection";
    EXPECT_EQ(*outcome, Errc::connection_failed);
}

TEST(ManagerRedis, ConnectionIsNamedAfterTheManagerAndShowsInConnectionInfo) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "redis-mgr");
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()}};
    UnifiedConnectionManager manager(config);
    auto conn = manager.redis(ConnectionMode::ReadWrite);
    const std::string expected_name = "ucm/mcp_server/" + config.manager.id;
    EXPECT_EQ(conn.command("CLIENT", "GETNAME").as_string(), expected_name);
    EXPECT_EQ(conn.endpoint(), redis_master().to_string());
    EXPECT_EQ(conn.command_timeout(), 5'000ms);  // McpServer's query deadline
    const auto info = manager.connection_info();
    ASSERT_EQ(info.redis_pools.size(), 3U);
    EXPECT_EQ(redis_pool_of(info.redis_pools, ConnectionMode::ReadWrite).stats.in_use, 1U);
    EXPECT_EQ(redis_pool_of(info.redis_pools, ConnectionMode::ReadOnly).stats.in_use, 0U);
}

TEST(ManagerRedis, AccessPolicyIsTheSameAsForPostgres) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "redis-acl");
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()}};
    UnifiedConnectionManager manager(config);
    EXPECT_THROW((void)manager.redis(ConnectionMode::Admin), AccessDenied);  // McpServer: no Admin
    EXPECT_EQ(manager.redis(ConnectionMode::ReadOnly).command("PING").as_string(), "PONG");
}

TEST(ManagerRedis, WithoutARedisSectionIsAClearConfigError) {
    UnifiedConnectionManager manager(manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "no-redis"));
    try {
        (void)manager.redis(ConnectionMode::ReadWrite);
        FAIL() << "no exception";
    } catch (const ConfigInvalid& e) {
        EXPECT_NE(std::string(e.what()).find("redis.url"), std::string::npos) << e.what();
    }
}

// Everything ucm logs while it lives, at every level (restored when destroyed).
class LogCapture {
public:
    LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)), level_(log().level()) {
        log().sinks().push_back(sink_);
        log().set_level(spdlog::level::trace);
    }
    ~LogCapture() {
        log().set_level(level_);
        auto& sinks = log().sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    std::string text() const { return text_.str(); }

private:
    std::ostringstream text_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
    spdlog::level::level_enum level_;
};

TEST(ManagerRedis, WrongPasswordIsAuthFailedAndNeverShownInMessagesOrLogs) {
    RedisObserver observer;
    const std::string user = unique_id("ucm-itest-mgr-acl");
    const std::string wrong = "Wr0ng-P4ss-hunter2-manager";
    ASSERT_EQ(observer.run({"ACL", "SETUSER", user, "on", ">Right-P4ss", "~*", "&*", "+@all"}).as_string(), "OK");
    LogCapture logs;
    {
        auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "redis-auth");
        config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()},
                                    .user = user,
                                    .password = Secret(wrong)};
        UnifiedConnectionManager manager(config);
        try {
            (void)manager.redis(ConnectionMode::ReadWrite);
            FAIL() << "connected with a wrong password";
        } catch (const AuthFailed& e) {
            EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos) << e.what();
        }
        EXPECT_EQ(manager.health_check().to_json().find(wrong), std::string::npos);
    }
    observer.run({"ACL", "DELUSER", user});
    EXPECT_EQ(logs.text().find(wrong), std::string::npos) << logs.text();
}

TEST(ManagerRedis, ShutdownClosesTheRedisPools) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, "redis-down");
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()}};
    UnifiedConnectionManager manager(config);
    RedisObserver observer;
    const std::string name = "ucm/mcp_server/" + config.manager.id;
    { auto conn = manager.redis(ConnectionMode::ReadWrite); }
    EXPECT_EQ(observer.count_named(name), 1U);
    EXPECT_TRUE(manager.shutdown(1s));
    EXPECT_TRUE(eventually([&] { return observer.count_named(name) == 0; }));
    EXPECT_THROW((void)manager.redis(ConnectionMode::ReadWrite), ShutDown);
}

}  // namespace
}  // namespace ucm::test
