// The Redis side's circuit breaker and durable writes, on the shared sandbox.

#include "support/manager_support.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_support.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/manager/unified_connection_manager.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ucm {
namespace {

using namespace test;

// A port on 127.0.0.1 nothing listens on (bound, then released).
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

TEST(RedisBreaker, RepeatedConnectFailuresOpenTheBreakerAndAcquiresFailFastWithCircuitOpen) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, "redis-breaker");
    const Endpoint nowhere{"127.0.0.1", closed_port()};
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = nowhere}, .connect_timeout = 500ms};
    config.breaker.window_size = 4;
    config.breaker.minimum_calls = 2;
    config.breaker.open_wait = 10s;  // stays open for the whole test
    config.pool.acquire_timeout = 5s;
    UnifiedConnectionManager manager(config);

    // The first acquire retries the refused connect until the breaker opens, then stops at once.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW((void)manager.redis(ConnectionMode::ReadWrite), CircuitOpen);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << "the acquire waited out its deadline";
    // Later ones are refused at once, naming the endpoint, and may be retried later.
    const auto again = std::chrono::steady_clock::now();
    try {
        (void)manager.redis(ConnectionMode::ReadWrite);
        ADD_FAILURE() << "connected to a closed port";
    } catch (const CircuitOpen& e) {
        EXPECT_TRUE(e.retriable());
        EXPECT_NE(std::string(e.what()).find(nowhere.to_string()), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - again, 1s);
    const auto report = manager.health_check();
    ASSERT_TRUE(report.redis.has_value());
    ASSERT_FALSE(report.redis->endpoints.empty());
    EXPECT_EQ(report.redis->endpoints[0].breaker, "open");
    EXPECT_TRUE(report.redis->endpoints[0].breaker_retry_in.has_value());
    EXPECT_EQ(report.status, HealthStatus::Unhealthy) << report.to_json();
}

TEST(RedisDurable, WriteConfirmedByTheReplicaReturnsTheReplyAndAnUnconfirmedOneIsInDoubt) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::AsyncModern, "redis-durable");
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()}};
    UnifiedConnectionManager manager(config);
    auto redis = manager.redis(ConnectionMode::ReadWrite);
    const std::string key = unique_key("durable") + "k";
    EXPECT_EQ(redis.durable({.replicas = 1, .timeout = 2'000ms}, "SET", key, "one").as_string(), "OK");

    // The sandbox has one replica: asking for two cannot be confirmed.
    try {
        (void)redis.durable({.replicas = 2, .timeout = 100ms}, "SET", key, "two");
        ADD_FAILURE() << "two replicas confirmed a write in a sandbox that has one";
    } catch (const InDoubt& e) {
        EXPECT_FALSE(e.retriable());
        EXPECT_NE(std::string(e.what()).find("1 of 2"), std::string::npos) << e.what();
    }
    EXPECT_EQ(redis.command("GET", key).as_string(), "two") << "the master applied it: in doubt, not undone";
    // An error reply to the write itself is the write's error, not a durability verdict.
    EXPECT_THROW((void)redis.durable({}, "INCR", key), RedisError);
    EXPECT_THROW((void)redis.durable({.replicas = 0}, "SET", key, "x"), ConfigInvalid);
}

}  // namespace
}  // namespace ucm
