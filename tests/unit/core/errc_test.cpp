#include <ucm/core/errc.hpp>
#include <ucm/core/error.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <system_error>

namespace {

TEST(Errc, ErrorCodeCarriesTheUcmCategoryName) {
    const std::error_code code{ucm::Errc::pool_timeout};
    EXPECT_STREQ(code.category().name(), "ucm");
}

TEST(Errc, ErrorCodeMessageIsTheStableName) {
    EXPECT_EQ(std::error_code{ucm::Errc::pool_timeout}.message(), "pool_timeout");
    EXPECT_EQ(std::error_code{ucm::Errc::read_only_violation}.message(), "read_only_violation");
}

TEST(Errc, ErrorCodeValueIsTheEnumValue) {
    EXPECT_EQ(std::error_code{ucm::Errc::config_invalid}.value(), 1);
    EXPECT_EQ(std::error_code{ucm::Errc::shut_down}.value(), 14);
    EXPECT_EQ(std::error_code{ucm::Errc::pipeline_aborted}.value(), 15);
}

TEST(Errc, ErrorCodeComparesEqualToItsEnum) {
    const std::error_code code = ucm::make_error_code(ucm::Errc::in_doubt);
    EXPECT_EQ(code, ucm::Errc::in_doubt);
    EXPECT_NE(code, ucm::Errc::query_failed);
}

TEST(Errc, SameValueInAnotherCategoryIsNotEqual) {
    const std::error_code generic{3, std::generic_category()};
    EXPECT_NE(generic, std::error_code{ucm::Errc::pool_timeout});
}

TEST(Errc, EveryCodeHasADistinctName) {
    std::set<std::string> names;
    for (int value = 1; value <= 15; ++value) {
        const std::string name = ucm::to_string(static_cast<ucm::Errc>(value));
        EXPECT_NE(name, "unknown") << value;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), 15U);
}

TEST(Errc, UnknownValueIsNamedUnknown) {
    EXPECT_STREQ(ucm::to_string(static_cast<ucm::Errc>(999)), "unknown");
}

TEST(Error, CarriesCodeRetriableAndEndpoint) {
    const ucm::PoolTimeout error({.message = "no connection", .retriable = true, .endpoint = "db:5432"});
    EXPECT_EQ(error.code(), ucm::Errc::pool_timeout);
    EXPECT_EQ(error.error_code(), ucm::Errc::pool_timeout);
    EXPECT_TRUE(error.retriable());
    EXPECT_EQ(error.endpoint(), "db:5432");
    EXPECT_STREQ(error.what(), "no connection");
}

TEST(Error, SubclassFixesItsCodeWhateverTheInfoSays) {
    const ucm::InDoubt error({.code = ucm::Errc::connection_failed, .message = "commit unknown"});
    EXPECT_EQ(error.code(), ucm::Errc::in_doubt);
    EXPECT_FALSE(error.retriable());
}

TEST(Error, QueryFailedCarriesSqlstateAndPoison) {
    const ucm::QueryFailed error({.message = "x", .poisons_connection = true, .sqlstate = "57P01"});
    EXPECT_EQ(error.sqlstate(), "57P01");
    EXPECT_TRUE(error.poisons_connection());
}

TEST(Error, IsCaughtAsTheBaseClass) {
    try {
        throw ucm::NoPrimary({.message = "no primary", .retriable = true});
    } catch (const ucm::Error& error) {
        EXPECT_EQ(error.code(), ucm::Errc::no_primary);
        return;
    }
    FAIL() << "not caught as ucm::Error";
}

TEST(Error, RecordsTheThrowingLocation) {
    const ucm::ShutDown error({.message = "closing"});
    EXPECT_NE(std::string{error.where().file_name()}.find("errc_test.cpp"), std::string::npos);
}

TEST(ConfigInvalid, MessageIsFieldColonProblem) {
    const ucm::ConfigInvalid error("pool.size", "must be >= 1, got 0");
    EXPECT_STREQ(error.what(), "pool.size: must be >= 1, got 0");
    EXPECT_EQ(error.field(), "pool.size");
    EXPECT_EQ(error.code(), ucm::Errc::config_invalid);
    EXPECT_FALSE(error.retriable());
}

TEST(DefaultRetriable, TransientFailuresAreRetriable) {
    for (ucm::Errc code :
         {ucm::Errc::pool_timeout, ucm::Errc::queue_full, ucm::Errc::circuit_open, ucm::Errc::no_primary,
          ucm::Errc::connection_failed, ucm::Errc::deadline_exceeded}) {
        EXPECT_TRUE(ucm::default_retriable(code)) << ucm::to_string(code);
    }
}

TEST(DefaultRetriable, PermanentAndUnsafeFailuresAreNot) {
    for (ucm::Errc code : {ucm::Errc::config_invalid, ucm::Errc::access_denied, ucm::Errc::auth_failed,
                           ucm::Errc::query_failed, ucm::Errc::read_only_violation, ucm::Errc::in_doubt,
                           ucm::Errc::redis_error, ucm::Errc::shut_down, ucm::Errc::pipeline_aborted}) {
        EXPECT_FALSE(ucm::default_retriable(code)) << ucm::to_string(code);
    }
}

}  // namespace
