#include "redis/hiredis_handle.hpp"
#include "redis/redis_error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace ucm::redis {
namespace {

TEST(RedisErrorTable, ReadonlyIsARetriableReadOnlyViolationThatHintsARoleChange) {
    const auto cls = classify_reply_error("READONLY You can't write against a read only replica.");
    EXPECT_EQ(cls.code, Errc::read_only_violation);
    EXPECT_TRUE(cls.retriable);
    EXPECT_FALSE(cls.poisons);
    EXPECT_TRUE(cls.role_change_hint);
}

TEST(RedisErrorTable, LoadingAndMasterdownAreRetriableAndKeepTheConnection) {
    for (const char* message : {"LOADING Redis is loading the dataset in memory",
                                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."}) {
        const auto cls = classify_reply_error(message);
        EXPECT_EQ(cls.code, Errc::redis_error) << message;
        EXPECT_TRUE(cls.retriable) << message;
        EXPECT_FALSE(cls.poisons) << message;
    }
}

TEST(RedisErrorTable, NoauthAndWrongpassAreAuthFailuresNotRetriable) {
    for (const char* message : {"NOAUTH Authentication required.",
                                "WRONGPASS invalid username-password pair or user is disabled."}) {
        const auto cls = classify_reply_error(message);
        EXPECT_EQ(cls.code, Errc::auth_failed) << message;
        EXPECT_FALSE(cls.retriable) << message;
        EXPECT_TRUE(cls.poisons) << message;
    }
}

TEST(RedisErrorTable, OtherErrorRepliesAreTheCommandsFault) {
    for (const char* message : {"ERR unknown command 'FOO'", "WRONGTYPE Operation against a key holding the wrong kind",
                                "EXECABORT Transaction discarded because of previous errors.", "READONLYX made up"}) {
        const auto cls = classify_reply_error(message);
        EXPECT_EQ(cls.code, Errc::redis_error) << message;
        EXPECT_FALSE(cls.retriable) << message;
        EXPECT_FALSE(cls.poisons) << message;
        EXPECT_FALSE(cls.role_change_hint) << message;
    }
}

TEST(RedisErrorTable, IoErrorsPoisonAndAreRetriable) {
    for (int e : {ECONNRESET, EPIPE, ECONNREFUSED, ETIMEDOUT}) {
        const auto cls = classify_context_error(REDIS_ERR_IO, e);
        EXPECT_EQ(cls.code, Errc::connection_failed) << e;
        EXPECT_TRUE(cls.retriable) << e;
        EXPECT_TRUE(cls.poisons) << e;
        EXPECT_TRUE(cls.role_change_hint) << e;  // the server went away
    }
}

TEST(RedisErrorTable, LocalIoShortagesGiveNoRoleChangeHint) {
    const auto cls = classify_context_error(REDIS_ERR_IO, EMFILE);
    EXPECT_EQ(cls.code, Errc::connection_failed);
    EXPECT_TRUE(cls.poisons);
    EXPECT_FALSE(cls.role_change_hint);
}

TEST(RedisErrorTable, EofPoisonsAndHintsARoleChange) {
    const auto cls = classify_context_error(REDIS_ERR_EOF, 0);
    EXPECT_EQ(cls.code, Errc::connection_failed);
    EXPECT_TRUE(cls.retriable);
    EXPECT_TRUE(cls.poisons);
    EXPECT_TRUE(cls.role_change_hint);
}

TEST(RedisErrorTable, ProtocolErrorPoisonsAndIsNotRetriable) {
    const auto cls = classify_context_error(REDIS_ERR_PROTOCOL, 0);
    EXPECT_EQ(cls.code, Errc::connection_failed);
    EXPECT_FALSE(cls.retriable);
    EXPECT_TRUE(cls.poisons);
}

TEST(RedisErrorTable, TimeoutPoisons) {
    const auto cls = classify_timeout();
    EXPECT_EQ(cls.code, Errc::deadline_exceeded);
    EXPECT_TRUE(cls.poisons);
}

TEST(RedisErrorTable, AfterSendingALostReplyIsNotRetriableOnAWriterLease) {
    EXPECT_FALSE(after_send(classify_context_error(REDIS_ERR_EOF, 0), true).retriable);
    EXPECT_FALSE(after_send(classify_timeout(), true).retriable);
    EXPECT_TRUE(after_send(classify_context_error(REDIS_ERR_EOF, 0), false).retriable);
    EXPECT_TRUE(after_send(classify_reply_error("READONLY x"), true).retriable);  // a reply is no lost reply
}

TEST(RedisErrorTable, ThrowsTheClassForEachCode) {
    EXPECT_THROW(throw_redis_error(classify_reply_error("NOAUTH x"), "m", "h:1"), AuthFailed);
    EXPECT_THROW(throw_redis_error(classify_reply_error("ERR x"), "m", "h:1"), RedisError);
    EXPECT_THROW(throw_redis_error(classify_context_error(REDIS_ERR_EOF, 0), "m", "h:1"), ConnectionFailed);
    EXPECT_THROW(throw_redis_error(classify_timeout(), "m", "h:1"), DeadlineExceeded);
    try {
        throw_redis_error(classify_reply_error("READONLY You can't write"), "READONLY You can't write", "h:1");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::read_only_violation);
        EXPECT_EQ(e.endpoint(), "h:1");
        EXPECT_STREQ(e.what(), "h:1: READONLY You can't write");
    }
}

}  // namespace
}  // namespace ucm::redis
