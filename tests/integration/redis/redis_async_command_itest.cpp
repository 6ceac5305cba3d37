// Redis commands from coroutines over the hiredis async adapter, on the shared sandbox's master.
#include "redis/async_command.hpp"
#include "support/redis_support.hpp"

#include <ucm/core/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <gtest/gtest.h>

namespace ucm::redis {
namespace {

using namespace std::chrono_literals;

TEST(RedisAsyncCommand, RepliesOfEveryKindAndErrorRepliesAsValues) {
    asio::io_context io;
    AsioHiredisAdapter redis(io, test::redis_master(), 2s, {});
    const std::string key = test::unique_key("async") + "k";
    // Each command's words are a named local: g++ 12 mis-compiles a braced list inside co_await.
    auto done = asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> set{"SET", key, std::string("a\0b", 3)};
        EXPECT_EQ((co_await async_command(redis, set, 2s)).as_string(), "OK");
        const std::vector<std::string> get{"GET", key};
        EXPECT_EQ((co_await async_command(redis, get, 2s)).as_string(), std::string("a\0b", 3));
        const std::vector<std::string> missing{"GET", key + ":none"};
        EXPECT_TRUE((co_await async_command(redis, missing, 2s)).is_nil());
        const std::vector<std::string> incr{"INCR", key};
        const Reply wrong = co_await async_command(redis, incr, 2s);
        EXPECT_TRUE(wrong.is_error());
        EXPECT_NE(wrong.error_message().find("not an integer"), std::string::npos) << wrong.error_message();
        // The connection is still usable after an error reply.
        const std::vector<std::string> del{"DEL", key};
        EXPECT_EQ((co_await async_command(redis, del, 2s)).as_integer(), 1);
        redis.close();
    }, asio::use_future);
    io.run();
    done.get();
}

TEST(RedisAsyncCommand, AThousandCommandsInFlightOnOneConnectionAllComplete) {
    asio::io_context io;
    AsioHiredisAdapter redis(io, test::redis_master(), 2s, {});
    const std::string key = test::unique_key("async-many") + "n";
    std::vector<std::future<std::int64_t>> replies;
    for (int i = 0; i < 1000; ++i) {
        replies.push_back(asio::co_spawn(io, [&redis, &key]() -> asio::awaitable<std::int64_t> {
            const std::vector<std::string> incr{"INCR", key};
            const Reply r = co_await async_command(redis, incr, 5s);
            co_return r.as_integer();
        }, asio::use_future));
    }
    std::thread runner([&] { io.run(); });
    std::vector<std::int64_t> values;
    for (auto& r : replies) values.push_back(r.get());
    asio::post(io, [&] { redis.close(); });
    runner.join();
    std::sort(values.begin(), values.end());
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(values[static_cast<std::size_t>(i)], i + 1);
}

TEST(RedisAsyncCommand, MissedTimeoutFailsThatCommandAndEveryOtherInFlight) {
    asio::io_context io;
    AsioHiredisAdapter redis(io, test::redis_master(), 2s, {});
    const std::string key = test::unique_key("async-blocked") + "list";
    const std::vector<std::string> blpop{"BLPOP", key, "0"};
    const std::vector<std::string> ping{"PING"};
    auto blocked = asio::co_spawn(io, async_command(redis, blpop, 200ms), asio::use_future);
    auto behind = asio::co_spawn(io, async_command(redis, ping, 5s), asio::use_future);
    io.run();
    EXPECT_THROW((void)blocked.get(), ConnectionFailed);
    try {
        (void)behind.get();
        ADD_FAILURE() << "a reply matched to the wrong command after a timeout";
    } catch (const ConnectionFailed& e) {
        EXPECT_FALSE(e.retriable()) << "its outcome is unknown";
    }
    // A closed adapter refuses at once, with a typed error.
    asio::io_context again;
    auto refused = asio::co_spawn(again, async_command(redis, ping, 1s), asio::use_future);
    again.run();
    EXPECT_THROW((void)refused.get(), ConnectionFailed);
}

}  // namespace
}  // namespace ucm::redis
