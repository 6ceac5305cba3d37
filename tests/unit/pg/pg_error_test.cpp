#include "pg/pg_error.hpp"

#include <gtest/gtest.h>

namespace ucm::pg {
namespace {

TEST(PgErrorTable, SerializationFailureAndDeadlockAreRetriableAndKeepTheConnection) {
    for (const char* state : {"40001", "40P01"}) {
        auto cls = classify_sqlstate(state, "ERROR", false);
        EXPECT_EQ(cls.code, Errc::query_failed) << state;
        EXPECT_TRUE(cls.retriable) << state;
        EXPECT_FALSE(cls.poisons) << state;
    }
}

TEST(PgErrorTable, ConnectionExceptionClassPoisonsAndHintsARoleChange) {
    auto cls = classify_sqlstate("08006", "FATAL", false);
    EXPECT_EQ(cls.code, Errc::connection_failed);
    EXPECT_TRUE(cls.poisons);
    EXPECT_TRUE(cls.retriable);
    EXPECT_TRUE(cls.role_change_hint);
}

TEST(PgErrorTable, ShutdownCodesPoison) {
    for (const char* state : {"57P01", "57P02", "57P03", "57P04", "57P05", "25P03"}) {
        EXPECT_TRUE(classify_sqlstate(state, "FATAL", false).poisons) << state;
    }
}

TEST(PgErrorTable, ReadOnlyTransactionIsAReadOnlyViolationThatHintsARoleChange) {
    auto cls = classify_sqlstate("25006", "ERROR", false);
    EXPECT_EQ(cls.code, Errc::read_only_violation);
    EXPECT_FALSE(cls.poisons);
    EXPECT_TRUE(cls.role_change_hint);
}

TEST(PgErrorTable, TooManyConnectionsAtConnectIsRetriable) {
    auto cls = classify_sqlstate("53300", "FATAL", true);
    EXPECT_EQ(cls.code, Errc::connection_failed);
    EXPECT_TRUE(cls.retriable);
}

TEST(PgErrorTable, BadPasswordIsAuthFailedAndNotRetriable) {
    auto cls = classify_sqlstate("28P01", "FATAL", true);
    EXPECT_EQ(cls.code, Errc::auth_failed);
    EXPECT_FALSE(cls.retriable);
}

TEST(PgErrorTable, AnyFatalPoisonsEvenAnOrdinaryCode) {
    EXPECT_TRUE(classify_sqlstate("42601", "FATAL", false).poisons);
    EXPECT_FALSE(classify_sqlstate("42601", "ERROR", false).poisons);
}

TEST(PgErrorTable, SyntaxErrorIsAPlainQueryFailure) {
    auto cls = classify_sqlstate("42601", "ERROR", false);
    EXPECT_EQ(cls.code, Errc::query_failed);
    EXPECT_FALSE(cls.retriable);
}

TEST(PgErrorTable, ThrownErrorCarriesSqlstateAndEndpoint) {
    try {
        throw_pg_error(classify_sqlstate("42601", "ERROR", false), "syntax error", "42601", "127.0.0.1:5432");
        FAIL() << "no exception";
    } catch (const QueryFailed& e) {
        EXPECT_EQ(e.sqlstate(), "42601");
        EXPECT_EQ(e.endpoint(), "127.0.0.1:5432");
        EXPECT_NE(std::string(e.what()).find("SQLSTATE 42601"), std::string::npos);
    }
}

}  // namespace
}  // namespace ucm::pg
