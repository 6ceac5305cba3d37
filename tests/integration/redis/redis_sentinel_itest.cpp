// The manager following a Sentinel-managed master on the shared sandbox, without changing it:
// discovery, where each kind of lease goes, and the Redis part of health_check().

#include "support/manager_support.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_support.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/manager/unified_connection_manager.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

namespace ucm {
namespace {

using namespace test;

Config sentinel_config(std::string_view id_prefix) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, id_prefix);
    config.redis = sentinel_redis(sandbox_env().redis_sentinels, sandbox_env().redis_master_name);
    config.health.probe_timeout = 1s;
    return config;
}

TEST(RedisSentinel, WritesGoToTheMasterTheSentinelsNameAndReadsToTheReplica) {
    UnifiedConnectionManager manager(sentinel_config("redis-sentinel"));
    auto writer = manager.redis(ConnectionMode::ReadWrite);
    EXPECT_EQ(writer.endpoint(), sandbox_env().redis_master);
    const std::string key = unique_key("sentinel") + "k";
    writer.command("SET", key, "v1");
    writer.release();

    // The sandbox's one replica is usable: ReadOnly leases go there, and see the write once replicated.
    auto reader = manager.redis(ConnectionMode::ReadOnly);
    EXPECT_NE(reader.endpoint(), sandbox_env().redis_master);
    EXPECT_EQ(role_of(reader.endpoint()), "slave");
    EXPECT_TRUE(eventually([&] {
        const auto value = reader.command("GET", key);
        return !value.is_nil() && value.as_string() == "v1";
    }, 5s));
    // The replica refuses writes; the error is typed and does not make the master look moved.
    try {
        reader.command("SET", key, "v2");
        ADD_FAILURE() << "a replica accepted a write";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::read_only_violation) << e.what();
    }
    EXPECT_EQ(manager.health_check().redis->generation, 1U);
}

TEST(RedisSentinel, HealthShowsTheMasterReplicasSentinelsAndQuorum) {
    UnifiedConnectionManager manager(sentinel_config("redis-health"));
    (void)manager.redis(ConnectionMode::ReadWrite).command("PING");
    const HealthReport report = manager.health_check();
    ASSERT_TRUE(report.redis.has_value());
    const RedisHealth& r = *report.redis;
    EXPECT_TRUE(r.sentinel);
    EXPECT_EQ(r.master_name, sandbox_env().redis_master_name);
    EXPECT_EQ(r.master, sandbox_env().redis_master);
    EXPECT_FALSE(r.fenced);
    ASSERT_TRUE(r.quorum_ok.has_value());
    EXPECT_TRUE(*r.quorum_ok) << r.quorum;
    EXPECT_EQ(r.sentinels.size(), endpoint_list(sandbox_env().redis_sentinels).size());
    ASSERT_GE(r.endpoints.size(), 2U);
    EXPECT_EQ(r.endpoints[0].role, "master");
    EXPECT_TRUE(r.endpoints[0].reachable) << r.endpoints[0].error;
    EXPECT_TRUE(r.endpoints[0].write_target);
    EXPECT_EQ(r.endpoints[0].pools.size(), 3U);
    EXPECT_EQ(r.endpoints[1].role, "replica");
    EXPECT_TRUE(r.endpoints[1].reachable) << r.endpoints[1].error;
    // Every sentinel is subscribed and polled by now, or soon.
    EXPECT_TRUE(eventually([&] {
        const HealthReport now = manager.health_check();  // kept: the loop reads into it
        for (const auto& s : now.redis->sentinels) {
            if (!s.reachable) return false;
        }
        return true;
    }, 5s));
    const std::string json = manager.health_check().to_json();
    EXPECT_NE(json.find("\"sentinels\""), std::string::npos) << json;
    EXPECT_NE(json.find(sandbox_env().redis_master), std::string::npos) << json;
}

TEST(RedisSentinel, ALeaseOutlivingItsManagerStillWorksUntilReleased) {
    std::optional<redis::Connection> lease;
    {
        UnifiedConnectionManager manager(sentinel_config("redis-outlive"));
        lease.emplace(manager.redis(ConnectionMode::ReadWrite));
    }
    // The manager and its Sentinel threads are gone; the lease's fence and generation checks
    // still have what they point to.
    EXPECT_EQ(lease->command("PING").as_string(), "PONG");
    lease.reset();
}

TEST(RedisSentinel, UnknownMasterNameWaitsThenFailsRetriablyNamingWhy) {
    auto config = sentinel_config("redis-unknown");
    std::get<RedisSentinel>(config.redis->topology).master_name = "no-such-master";
    config.pool.acquire_timeout = 500ms;
    UnifiedConnectionManager manager(config);
    try {
        (void)manager.redis(ConnectionMode::ReadWrite);
        ADD_FAILURE() << "a lease without a known master";
    } catch (const Error& e) {
        EXPECT_TRUE(e.retriable()) << e.what();
        EXPECT_NE(std::string(e.what()).find("no-such-master"), std::string::npos) << e.what();
    }
    EXPECT_EQ(manager.health_check().status, HealthStatus::Unhealthy);
}

TEST(RedisSentinel, WrongSentinelPasswordIsNeverShown) {
    auto config = sentinel_config("redis-sentinel-auth");
    std::get<RedisSentinel>(config.redis->topology).sentinel_password = Secret("sentinel-secret-77");
    config.pool.acquire_timeout = 500ms;
    UnifiedConnectionManager manager(config);
    std::string message;
    try {
        (void)manager.redis(ConnectionMode::ReadWrite);
    } catch (const Error& e) {
        message = e.what();
    }
    EXPECT_FALSE(message.empty()) << "the sandbox's sentinels have no password: AUTH must fail";
    EXPECT_EQ(message.find("sentinel-secret-77"), std::string::npos) << message;
    const std::string json = manager.health_check().to_json();
    EXPECT_EQ(json.find("sentinel-secret-77"), std::string::npos) << json;
}

}  // namespace
}  // namespace ucm

namespace ucm {
namespace {

using namespace test;

// For TSan (label concurrency): leases of every kind from several threads while health checks run
// and broken master connections keep asking the tracker to rediscover.
TEST(RedisSentinelConcurrency, LeasesHealthChecksAndRediscoveriesRaceCleanly) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, "redis-race");
    config.redis = sentinel_redis(sandbox_env().redis_sentinels, sandbox_env().redis_master_name);
    config.health.probe_timeout = 1s;
    config.pool.size = 4;
    UnifiedConnectionManager manager(config);
    const std::string key = unique_key("race");
    std::atomic<bool> stop{false};
    std::atomic<int> writes{0};
    std::atomic<int> reads{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 150; ++i) {
                try {
                    auto w = manager.redis(ConnectionMode::ReadWrite);
                    w.command("SADD", key, t * 1000 + i);
                    ++writes;
                    if (i % 50 == 49) {
                        (void)w.command("QUIT");  // the server closes it: the next command fails
                        EXPECT_THROW((void)w.command("PING"), ConnectionFailed);
                    }
                    auto r = manager.redis(ConnectionMode::ReadOnly);
                    (void)r.command("SCARD", key);
                    ++reads;
                } catch (const Error& e) {
                    ++unexpected;
                    ADD_FAILURE() << e.what();
                }
            }
        });
    }
    threads.emplace_back([&] {
        while (!stop) (void)manager.health_check();
    });
    for (int t = 0; t < 4; ++t) threads[static_cast<std::size_t>(t)].join();
    stop = true;
    threads.back().join();
    EXPECT_EQ(writes.load(), 600);
    EXPECT_EQ(reads.load(), 600);
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_EQ(manager.redis(ConnectionMode::ReadWrite).command("SCARD", key).as_integer(), 600);
}

}  // namespace
}  // namespace ucm
