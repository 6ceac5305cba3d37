#include <ucm/core/error.hpp>
#include <ucm/redis/connection.hpp>
#include <ucm/redis/reply.hpp>

#include <gtest/gtest.h>

#include <climits>
#include <string>

namespace ucm::redis {
namespace {

using namespace std::string_literals;

TEST(RedisReply, DefaultIsNil) {
    Reply r;
    EXPECT_TRUE(r.is_nil());
    EXPECT_EQ(r.type(), ReplyType::Nil);
}

TEST(RedisReply, StringIsBinarySafe) {
    const std::string bytes = "a\0b\r\nc"s;
    Reply r = Reply::string(bytes);
    EXPECT_EQ(r.type(), ReplyType::String);
    EXPECT_EQ(r.as_string(), bytes);
    EXPECT_EQ(r.as_string().size(), 6U);
}

TEST(RedisReply, StatusReadsAsString) {
    EXPECT_EQ(Reply::status("OK").as_string(), "OK");
    EXPECT_EQ(Reply::status("OK").type(), ReplyType::Status);
}

TEST(RedisReply, IntegerKeepsItsValue) {
    EXPECT_EQ(Reply::integer(-42).as_integer(), -42);
    EXPECT_EQ(Reply::integer(LLONG_MAX).as_integer(), LLONG_MAX);
}

TEST(RedisReply, NestedArrayKeepsOrderAndTypes) {
    Reply r = Reply::array({Reply::integer(1), Reply::array({Reply::string("x"), Reply::nil()}), Reply::status("OK")});
    auto items = r.as_array();
    ASSERT_EQ(items.size(), 3U);
    EXPECT_EQ(items[0].as_integer(), 1);
    ASSERT_EQ(items[1].as_array().size(), 2U);
    EXPECT_EQ(items[1].as_array()[0].as_string(), "x");
    EXPECT_TRUE(items[1].as_array()[1].is_nil());
    EXPECT_EQ(items[2].as_string(), "OK");
}

TEST(RedisReply, ErrorMessageIsTheServersText) {
    Reply r = Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value");
    EXPECT_TRUE(r.is_error());
    EXPECT_EQ(r.error_message(), "WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST(RedisReply, IntegerReadAsStringThrowsATypedErrorNamingBothTypes) {
    try {
        (void)Reply::integer(3).as_string();
        FAIL() << "no exception";
    } catch (const RedisError& e) {
        EXPECT_EQ(e.code(), Errc::redis_error);
        EXPECT_FALSE(e.retriable());
        EXPECT_STREQ(e.what(), "Redis reply is an integer, not a string");
    }
}

TEST(RedisReply, EveryWrongTypeAccessThrows) {
    EXPECT_THROW((void)Reply::string("1").as_integer(), RedisError);
    EXPECT_THROW((void)Reply::nil().as_string(), RedisError);
    EXPECT_THROW((void)Reply::nil().as_array(), RedisError);
    EXPECT_THROW((void)Reply::status("OK").error_message(), RedisError);
    EXPECT_THROW((void)Reply::array({}).as_integer(), RedisError);
}

TEST(RedisReply, ErrorReadAsDataQuotesTheServer) {
    try {
        (void)Reply::error("ERR unknown command").as_string();
        FAIL() << "no exception";
    } catch (const RedisError& e) {
        EXPECT_STREQ(e.what(), "Redis reply is an error, not a string (ERR unknown command)");
    }
}

TEST(RedisReply, TypeNames) {
    EXPECT_STREQ(to_string(ReplyType::Status), "status");
    EXPECT_STREQ(to_string(ReplyType::Error), "error");
    EXPECT_STREQ(to_string(ReplyType::Integer), "integer");
    EXPECT_STREQ(to_string(ReplyType::String), "string");
    EXPECT_STREQ(to_string(ReplyType::Nil), "nil");
    EXPECT_STREQ(to_string(ReplyType::Array), "array");
}

TEST(RedisCommandArgs, StringsStayBytesAndIntegersBecomeDecimal) {
    const std::string binary = "k\0\r\n"s;
    const Command c = args("SET", binary, std::string_view("v"), 42, -7LL, 18446744073709551615ULL);
    ASSERT_EQ(c.size(), 6U);
    EXPECT_EQ(c[0], "SET");
    EXPECT_EQ(c[1], binary);
    EXPECT_EQ(c[2], "v");
    EXPECT_EQ(c[3], "42");
    EXPECT_EQ(c[4], "-7");
    EXPECT_EQ(c[5], "18446744073709551615");
}

}  // namespace
}  // namespace ucm::redis
