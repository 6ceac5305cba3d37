#include "core/value_parse.hpp"

#include "core/redis_url.hpp"

#include <ucm/core/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using ucm::Endpoint;
using ucm::detail::Quote;

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const ucm::ConfigInvalid& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected ConfigInvalid";
    return {};
}

TEST(Duration, AcceptsEachUnit) {
    EXPECT_EQ(ucm::detail::parse_duration("250ms", "f"), 250ms);
    EXPECT_EQ(ucm::detail::parse_duration("5s", "f"), 5s);
    EXPECT_EQ(ucm::detail::parse_duration("10min", "f"), 10min);
    EXPECT_EQ(ucm::detail::parse_duration("1h", "f"), 1h);
    EXPECT_EQ(ucm::detail::parse_duration("0s", "f"), 0ms);
}

TEST(Duration, RejectsMissingOrUnknownUnit) {
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_duration("5", "pool.acquire_timeout"); }),
                HasSubstr("pool.acquire_timeout: expected a duration"));
    EXPECT_THROW((void)ucm::detail::parse_duration("5m", "f"), ucm::ConfigInvalid);
    EXPECT_THROW((void)ucm::detail::parse_duration("5 s", "f"), ucm::ConfigInvalid);
    EXPECT_THROW((void)ucm::detail::parse_duration("s", "f"), ucm::ConfigInvalid);
}

TEST(Duration, RejectsNegativeAndFractional) {
    EXPECT_THROW((void)ucm::detail::parse_duration("-5s", "f"), ucm::ConfigInvalid);
    EXPECT_THROW((void)ucm::detail::parse_duration("1.5s", "f"), ucm::ConfigInvalid);
}

TEST(Duration, RejectsValuesThatWouldOverflow) {
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_duration("99999999999999999h", "f"); }),
                HasSubstr("f: "));
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_duration("9000h", "f"); }), HasSubstr("366 days"));
}

TEST(Duration, FormatsWithTheLargestExactUnit) {
    EXPECT_EQ(ucm::detail::format_duration(250ms), "250ms");
    EXPECT_EQ(ucm::detail::format_duration(5s), "5s");
    EXPECT_EQ(ucm::detail::format_duration(10min), "10min");
    EXPECT_EQ(ucm::detail::format_duration(2h), "2h");
    EXPECT_EQ(ucm::detail::format_duration(1500ms), "1500ms");
    EXPECT_EQ(ucm::detail::format_duration(0ms), "0ms");
}

TEST(ByteSize, AcceptsBinaryUnits) {
    EXPECT_EQ(ucm::detail::parse_byte_size("16MiB", "f"), 16U << 20);
    EXPECT_EQ(ucm::detail::parse_byte_size("512KiB", "f"), 512U << 10);
    EXPECT_EQ(ucm::detail::parse_byte_size("1GiB", "f"), 1U << 30);
    EXPECT_EQ(ucm::detail::parse_byte_size("100B", "f"), 100U);
    EXPECT_THROW((void)ucm::detail::parse_byte_size("16MB", "f"), ucm::ConfigInvalid);
    EXPECT_EQ(ucm::detail::format_byte_size(16U << 20), "16MiB");
}

TEST(Port, AcceptsTheWholeRange) {
    EXPECT_EQ(ucm::detail::parse_port("1", "f", Quote::Allowed), 1);
    EXPECT_EQ(ucm::detail::parse_port("65535", "f", Quote::Allowed), 65535);
}

TEST(Port, ZeroIsRejected) {
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_port("0", "postgres.hosts[0]", Quote::Allowed); }),
                HasSubstr("postgres.hosts[0]: port must be a number in 1..65535, got '0'"));
}

TEST(Port, AboveRangeIsRejected) {
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_port("70000", "f", Quote::Allowed); }),
                HasSubstr("got '70000'"));
}

TEST(Port, NeverQuotedWhenQuotingIsForbidden) {
    const std::string message =
        error_of([] { (void)ucm::detail::parse_port("secretish", "f", Quote::Never); });
    EXPECT_THAT(message, testing::Not(HasSubstr("secretish")));
}

TEST(Endpoint, ParsesHostAndPort) {
    EXPECT_EQ(ucm::detail::parse_endpoint("db.example:6432", 5432, "f", Quote::Allowed),
              (Endpoint{"db.example", 6432}));
}

TEST(Endpoint, MissingPortIsTheDefault) {
    EXPECT_EQ(ucm::detail::parse_endpoint("10.0.0.1", 5432, "f", Quote::Allowed),
              (Endpoint{"10.0.0.1", 5432}));
}

TEST(Endpoint, BracketedIpv6WithAndWithoutPort) {
    EXPECT_EQ(ucm::detail::parse_endpoint("[::1]:5433", 5432, "f", Quote::Allowed), (Endpoint{"::1", 5433}));
    EXPECT_EQ(ucm::detail::parse_endpoint("[fe80::1]", 5432, "f", Quote::Allowed),
              (Endpoint{"fe80::1", 5432}));
}

TEST(Endpoint, UnbracketedIpv6IsRejected) {
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_endpoint("::1", 5432, "f", Quote::Allowed); }),
                HasSubstr("needs brackets"));
}

TEST(Endpoint, EmptyHostIsRejected) {
    EXPECT_THROW((void)ucm::detail::parse_endpoint(":5432", 5432, "f", Quote::Allowed), ucm::ConfigInvalid);
    EXPECT_THROW((void)ucm::detail::parse_endpoint("", 5432, "f", Quote::Allowed), ucm::ConfigInvalid);
}

TEST(Endpoint, ToStringBracketsIpv6) {
    EXPECT_EQ((Endpoint{"db", 5432}).to_string(), "db:5432");
    EXPECT_EQ((Endpoint{"::1", 5432}).to_string(), "[::1]:5432");
}

TEST(SentinelList, ParsesSeveralWithDefaultPort) {
    EXPECT_EQ(ucm::detail::parse_sentinel_list("s1:26380, s2 ,[::1]:26381", "redis.sentinels"),
              (std::vector<Endpoint>{{"s1", 26380}, {"s2", 26379}, {"::1", 26381}}));
}

TEST(SentinelList, EmptyItemNamesItsIndex) {
    EXPECT_THAT(error_of([] { (void)ucm::detail::parse_sentinel_list("s1:26379,,s3", "redis.sentinels"); }),
                HasSubstr("redis.sentinels[1]: empty host"));
}

TEST(SentinelList, BadPortNamesItsIndexAndValue) {
    EXPECT_THAT(
        error_of([] { (void)ucm::detail::parse_sentinel_list("s1:26379,s2:70000", "redis.sentinels"); }),
        HasSubstr("redis.sentinels[1]: port must be a number in 1..65535, got '70000'"));
}

}  // namespace
