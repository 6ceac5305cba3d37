// The Redis connection (nonblocking hiredis + poll) and its lease wrapper against the shared
// sandbox's master. The master is shared with other tests: every key has a unique prefix.
#include "support/redis_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/redis/connection.hpp>

#include <gtest/gtest.h>

#include <string>

namespace ucm::test {
namespace {

using namespace std::string_literals;
using redis::Reply;
using redis::ReplyType;

TEST(RedisConnection, EveryReplyType) {
    auto config = redis_config("replies");
    auto pools = redis_pools(config);
    auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    const std::string k = unique_key("replies");
    const std::string binary = "a\0b\r\n$3\r\nxyz\r\n\0"s;

    const Reply set = conn.command("SET", k + "bin", binary);
    EXPECT_EQ(set.type(), ReplyType::Status);
    EXPECT_EQ(set.as_string(), "OK");
    const Reply got = conn.command("GET", k + "bin");
    EXPECT_EQ(got.type(), ReplyType::String);
    EXPECT_EQ(got.as_string(), binary);  // embedded NULs and CR LF survive both ways

    EXPECT_TRUE(conn.command("GET", k + "missing").is_nil());
    EXPECT_EQ(conn.command("INCR", k + "n").as_integer(), 1);
    EXPECT_EQ(conn.command("INCRBY", k + "n", 41).as_integer(), 42);

    conn.command("RPUSH", k + "list", "x", "y", "z");
    const Reply range = conn.command("LRANGE", k + "list", 0, -1);
    ASSERT_EQ(range.as_array().size(), 3U);
    EXPECT_EQ(range.as_array()[2].as_string(), "z");

    // EXEC answers an array of the queued commands' replies: a nested array, mixed types.
    EXPECT_EQ(conn.command("MULTI").as_string(), "OK");
    EXPECT_EQ(conn.command("INCR", k + "n").as_string(), "QUEUED");
    conn.command("LRANGE", k + "list", 0, 1);
    conn.command("GET", k + "missing");
    const Reply exec = conn.command("EXEC");
    ASSERT_EQ(exec.as_array().size(), 3U);
    EXPECT_EQ(exec.as_array()[0].as_integer(), 43);
    ASSERT_EQ(exec.as_array()[1].as_array().size(), 2U);
    EXPECT_EQ(exec.as_array()[1].as_array()[0].as_string(), "x");
    EXPECT_TRUE(exec.as_array()[2].is_nil());
    conn.command("DEL", k + "bin", k + "n", k + "list");
}

TEST(RedisConnection, ErrorReplyIsThrownTypedReportedAndTheConnectionStaysUsable) {
    auto config = redis_config("errreply");
    std::vector<Errc> reported;
    auto pools = redis_pools(config, [&](const Error& e, ConnectionMode) { reported.push_back(e.code()); });
    auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    const std::string k = unique_key("errreply");
    conn.command("SET", k + "s", "text");
    try {
        conn.command("LPUSH", k + "s", "x");
        FAIL() << "no exception";
    } catch (const RedisError& e) {
        EXPECT_EQ(e.code(), Errc::redis_error);
        EXPECT_FALSE(e.retriable());
        EXPECT_FALSE(e.poisons_connection());
        EXPECT_NE(std::string(e.what()).find("WRONGTYPE"), std::string::npos) << e.what();
        EXPECT_EQ(e.endpoint(), redis_master().to_string());
    }
    ASSERT_EQ(reported.size(), 1U);
    EXPECT_EQ(reported[0], Errc::redis_error);
    EXPECT_EQ(conn.command("PING").as_string(), "PONG");
    conn.command("DEL", k + "s");
    conn.release();
    const auto stats = redis_pool_of(pools->pool_health(), ConnectionMode::ReadWrite).stats;
    EXPECT_EQ(stats.closed, 0U) << "an error reply closed the connection";
    EXPECT_EQ(stats.idle, 1U);
}

TEST(RedisConnection, PipelineReturnsRepliesInOrderWithErrorsInPlace) {
    auto config = redis_config("pipeline");
    auto pools = redis_pools(config);
    auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    const std::string k = unique_key("pipeline");
    const auto replies = conn.pipeline({redis::args("SET", k + "a", "1"), redis::args("INCR", k + "a"),
                                        redis::args("LPUSH", k + "a", "x"), redis::args("GET", k + "a"),
                                        redis::args("DEL", k + "a")});
    ASSERT_EQ(replies.size(), 5U);
    EXPECT_EQ(replies[0].as_string(), "OK");
    EXPECT_EQ(replies[1].as_integer(), 2);
    EXPECT_TRUE(replies[2].is_error());
    EXPECT_NE(replies[2].error_message().find("WRONGTYPE"), std::string::npos);
    EXPECT_EQ(replies[3].as_string(), "2");
    EXPECT_EQ(replies[4].as_integer(), 1);
    EXPECT_EQ(conn.command("PING").as_string(), "PONG");
}

TEST(RedisConnection, MissedDeadlineIsDeadlineExceededAndPoisonsTheConnection) {
    auto config = redis_config("deadline");
    auto pools = redis_pools(config);
    auto conn = pools->acquire(ConnectionMode::ReadOnly, std::source_location::current());
    const std::string key = unique_key("deadline") + "empty";
    const std::array<std::string_view, 3> blpop{"BLPOP", key, "5"};
    try {
        // Without a deadline of its own this would answer nil after 5 s.
        const Reply r = conn.command_argv(blpop, deadline_after(100ms));
        FAIL() << "BLPOP answered " << to_string(r.type());
    } catch (const DeadlineExceeded& e) {
        EXPECT_TRUE(e.poisons_connection());
        EXPECT_TRUE(e.retriable());  // a read-only lease: retrying cannot write twice
    }
    EXPECT_THROW(conn.command("PING"), ConnectionFailed) << "a poisoned connection took another command";
    conn.release();
    EXPECT_EQ(redis_pool_of(pools->pool_health(), ConnectionMode::ReadOnly).stats.closed, 1U);
}

TEST(RedisConnection, WriteToAShutDownSocketFailsTypedInsteadOfKillingTheProcessWithSigpipe) {
    auto conn = connect_redis();
    EXPECT_EQ(run(conn, {"PING"}).as_string(), "PONG");
    conn.shutdown_socket();  // the write side is gone: write() now fails with EPIPE and raises SIGPIPE
    try {
        run(conn, {"SET", unique_key("sigpipe") + "k", "v"});
        FAIL() << "a write to a shut-down socket succeeded";
    } catch (const ConnectionFailed& e) {
        EXPECT_NE(std::string(e.what()).find("Broken pipe"), std::string::npos) << e.what();
        EXPECT_TRUE(e.poisons_connection());
        EXPECT_TRUE(e.retriable()) << "nothing was sent, yet the error says the command may have been applied";
    }
    EXPECT_TRUE(conn.broken());
}

TEST(RedisConnection, KilledByTheServerFailsTypedAndIsSeenDeadWithoutARoundTrip) {
    auto conn = connect_redis({.client_name = "ucm-itest-killed"});
    const auto id = run(conn, {"CLIENT", "ID"}).as_integer();
    EXPECT_TRUE(conn.is_alive());
    RedisObserver observer;
    EXPECT_EQ(observer.run({"CLIENT", "KILL", "ID", std::to_string(id)}).as_integer(), 1);
    EXPECT_TRUE(eventually([&] { return !conn.is_alive(); })) << "EOF not noticed";
    EXPECT_THROW(run(conn, {"PING"}), ConnectionFailed);
}

TEST(RedisConnection, KilledIdleConnectionIsReplacedWithoutTheCallerSeeingAnError) {
    auto config = redis_config("replace");
    auto pools = redis_pools(config);
    std::int64_t first_id = 0;
    {
        auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        first_id = conn.command("CLIENT", "ID").as_integer();
    }
    RedisObserver observer;
    EXPECT_EQ(observer.run({"CLIENT", "KILL", "ID", std::to_string(first_id)}).as_integer(), 1);
    EXPECT_TRUE(eventually([&] { return observer.count_named(client_name_of(config)) == 0; }));
    auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    EXPECT_NE(conn.command("CLIENT", "ID").as_integer(), first_id);
    EXPECT_EQ(redis_pool_of(pools->pool_health(), ConnectionMode::ReadWrite).stats.liveness_failures, 1U);
}

// An ACL user with a known password on the shared master, deleted at the end.
class AclUser {
public:
    AclUser() : name_(unique_id("ucm-itest-acl")) {
        EXPECT_EQ(observer_.run({"ACL", "SETUSER", name_, "on", ">" + password(), "~*", "&*", "+@all"}).as_string(),
                  "OK");
    }
    ~AclUser() {
        try {
            observer_.run({"ACL", "DELUSER", name_});
        } catch (const std::exception& e) {
            ADD_FAILURE() << "could not delete ACL user " << name_ << ": " << e.what();
        }
    }
    AclUser(const AclUser&) = delete;
    AclUser& operator=(const AclUser&) = delete;
    [[nodiscard]] const std::string& name() const { return name_; }
    static std::string password() { return "Right-P4ss-for-itest"; }

private:
    RedisObserver observer_;
    std::string name_;
};

TEST(RedisConnection, AclUserAndPasswordAuthenticate) {
    AclUser user;
    auto conn = connect_redis({.user = user.name(), .password = Secret(AclUser::password())});
    EXPECT_EQ(run(conn, {"ACL", "WHOAMI"}).as_string(), user.name());
}

TEST(RedisConnection, WrongPasswordIsAuthFailedAndThePasswordIsNeverShown) {
    AclUser user;
    const std::string wrong = "Wr0ng-P4ss-hunter2-redis";
    try {
        (void)connect_redis({.user = user.name(), .password = Secret(wrong)});
        FAIL() << "connected with a wrong password";
    } catch (const AuthFailed& e) {
        EXPECT_FALSE(e.retriable());
        EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("AUTH"), std::string::npos) << e.what();
    }
    // Through the pool: fails the acquire at once (no retry until the deadline), still no password.
    auto config = redis_config("wrongpass");
    config.redis->user = user.name();
    config.redis->password = Secret(wrong);
    auto pools = redis_pools(config);
    try {
        (void)pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        FAIL() << "acquired with a wrong password";
    } catch (const AuthFailed& e) {
        EXPECT_EQ(std::string(e.what()).find(wrong), std::string::npos) << e.what();
    }
    const auto stats = redis_pool_of(pools->pool_health(), ConnectionMode::ReadWrite).stats;
    EXPECT_EQ(stats.connect_failures, 1U) << "an authentication failure was retried";
}

TEST(RedisConnection, HandshakeSelectsTheDatabaseAndNamesTheClient) {
    auto conn = connect_redis({.db = 3, .client_name = "ucm/it est\n"});
    const std::string info = run(conn, {"CLIENT", "INFO"}).as_string();
    EXPECT_NE(info.find(" db=3 "), std::string::npos) << info;
    EXPECT_NE(info.find(" name=ucm/it_est_ "), std::string::npos) << info;  // what SETNAME refuses became '_'
}

TEST(RedisConnection, ClientSetNameOfPooledConnectionsIsVisibleInClientList) {
    auto config = redis_config("setname");
    auto pools = redis_pools(config);
    RedisObserver observer;
    auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
    EXPECT_EQ(conn.command("CLIENT", "GETNAME").as_string(), client_name_of(config));
    EXPECT_EQ(observer.count_named(client_name_of(config)), 1U);
}

TEST(RedisConnection, ReleaseClosesSessionsLeftInMultiOrSelectAndUnwatchesTheRest) {
    auto config = redis_config("reset", 1, 0);
    auto pools = redis_pools(config);
    auto stats = [&] { return redis_pool_of(pools->pool_health(), ConnectionMode::ReadWrite).stats; };
    const std::string k = unique_key("reset");
    {
        auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        conn.command("WATCH", k + "w");  // ended by UNWATCH at release: the connection stays
    }
    EXPECT_EQ(stats().closed, 0U);
    {
        auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        // The same connection, unwatched: a transaction on the watched key is not aborted.
        RedisObserver observer;
        observer.run({"SET", k + "w", "changed"});
        conn.command("MULTI");
        conn.command("GET", k + "w");
        EXPECT_FALSE(conn.command("EXEC").is_nil()) << "the WATCH survived the release";
        conn.command("MULTI");  // left open
    }
    EXPECT_EQ(stats().closed, 1U) << "a connection inside MULTI went back to the pool";
    {
        auto conn = pools->acquire(ConnectionMode::ReadWrite, std::source_location::current());
        conn.command("SELECT", 2);
    }
    EXPECT_EQ(stats().closed, 2U) << "a connection on another database went back to the pool";
    EXPECT_EQ(stats().created, 2U);  // the first two leases shared one connection
    RedisObserver().run({"DEL", k + "w"});
}

}  // namespace
}  // namespace ucm::test
