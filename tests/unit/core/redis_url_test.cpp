#include "core/redis_url.hpp"

#include <ucm/core/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using testing::HasSubstr;
using ucm::Endpoint;
using ucm::detail::parse_redis_url;

std::string error_of(std::string_view url) {
    try {
        (void)parse_redis_url(url, "redis.url");
    } catch (const ucm::ConfigInvalid& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected ConfigInvalid";
    return {};
}

TEST(RedisUrl, HostAloneGetsTheDefaultPort) {
    const auto url = parse_redis_url("redis://cache", "redis.url");
    EXPECT_EQ(url.endpoint, (Endpoint{"cache", 6379}));
    EXPECT_FALSE(url.user);
    EXPECT_FALSE(url.password);
    EXPECT_FALSE(url.db);
}

TEST(RedisUrl, ParsesUserPasswordPortAndDb) {
    const auto url = parse_redis_url("redis://app:s%40cret@cache:6380/3", "redis.url");
    EXPECT_EQ(url.endpoint, (Endpoint{"cache", 6380}));
    EXPECT_EQ(url.user, "app");
    ASSERT_TRUE(url.password);
    EXPECT_EQ(url.password->reveal(), "s@cret");
    EXPECT_EQ(url.db, 3U);
}

TEST(RedisUrl, PasswordWithoutUser) {
    const auto url = parse_redis_url("redis://:pw@cache", "redis.url");
    EXPECT_FALSE(url.user);
    EXPECT_EQ(url.password->reveal(), "pw");
}

TEST(RedisUrl, BracketedIpv6) {
    EXPECT_EQ(parse_redis_url("redis://[::1]:7000", "redis.url").endpoint, (Endpoint{"::1", 7000}));
}

TEST(RedisUrl, RedissIsRejectedBecauseHiredisHasNoTls) {
    EXPECT_THAT(error_of("rediss://cache:6380"),
                HasSubstr("redis.url: rediss:// (TLS) is impossible: hiredis 0.14"));
}

TEST(RedisUrl, OtherSchemesAreRejected) {
    EXPECT_THAT(error_of("http://cache"), HasSubstr("must start with redis://"));
    EXPECT_THAT(error_of("unix:///tmp/redis.sock"), HasSubstr("must start with redis://"));
}

TEST(RedisUrl, PortZeroIsRejected) {
    EXPECT_THAT(error_of("redis://cache:0"), HasSubstr("port must be a number in 1..65535"));
}

TEST(RedisUrl, PortAboveRangeIsRejected) {
    EXPECT_THAT(error_of("redis://cache:70000"), HasSubstr("port must be a number in 1..65535"));
}

TEST(RedisUrl, NonNumericDbIsRejected) {
    EXPECT_THAT(error_of("redis://cache/zero"), HasSubstr("database number"));
}

TEST(RedisUrl, QueryStringIsRejected) {
    EXPECT_THAT(error_of("redis://cache?timeout=1"), HasSubstr("query strings"));
}

TEST(RedisUrl, EmptyHostIsRejected) { EXPECT_THAT(error_of("redis://:pw@:6379"), HasSubstr("empty host")); }

}  // namespace
