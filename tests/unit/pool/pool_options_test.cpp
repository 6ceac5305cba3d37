#include <ucm/core/error.hpp>
#include <ucm/pool/pool_options.hpp>

#include <gtest/gtest.h>

#include <string>

namespace ucm::pool {
namespace {

using namespace std::chrono_literals;

std::string rejection(const PoolOptions& o) {
    try {
        validate(o);
    } catch (const ConfigInvalid& e) {
        return e.what();
    }
    return "";
}

TEST(PoolOptionsValidation, DefaultsAreValid) { EXPECT_NO_THROW(validate(PoolOptions{})); }

TEST(PoolOptionsValidation, MinIdleAboveSizeIsRejectedNamingBoth) {
    EXPECT_EQ(rejection({.size = 4, .min_idle = 5}), "pool.min_idle: must be <= size (4), got 5");
}

TEST(PoolOptionsValidation, ZeroSizeIsRejected) {
    EXPECT_NE(rejection({.size = 0}).find("pool.size"), std::string::npos);
}

TEST(PoolOptionsValidation, OverflowAboveAThousandIsRejected) {
    EXPECT_EQ(rejection({.max_overflow = 5000}), "pool.max_overflow: must be <= 1000, got 5000");
}

TEST(PoolOptionsValidation, NonPositiveAcquireTimeoutIsRejected) {
    EXPECT_NE(rejection({.acquire_timeout = 0ms}).find("pool.acquire_timeout"), std::string::npos);
}

TEST(PoolOptionsValidation, JitterAboveHalfIsRejected) {
    EXPECT_NE(rejection({.lifetime_jitter = 0.6}).find("pool.lifetime_jitter"), std::string::npos);
}

TEST(PoolOptionsValidation, ZeroValidateAfterIdleMeansAlwaysAndIsAccepted) {
    EXPECT_EQ(rejection({.validate_after_idle = 0ms}), "");
}

}  // namespace
}  // namespace ucm::pool

#include "pool/pool_options_from_config.hpp"

namespace ucm::pool {
namespace {

TEST(PoolOptionsFromConfig, UnsetSizesComeFromTheModePresets) {
    const PoolOptions o = from_config(ucm::PoolOptions{}, {.size = 20, .max_overflow = 10});
    EXPECT_EQ(o.size, 20U);
    EXPECT_EQ(o.max_overflow, 10U);
}

TEST(PoolOptionsFromConfig, ConfiguredFieldsWin) {
    ucm::PoolOptions config;
    config.size = 3;
    config.max_overflow = 1;
    config.min_idle = 2;
    config.acquire_timeout = 750ms;
    config.max_lifetime.reset();
    const PoolOptions o = from_config(config, {.size = 20, .max_overflow = 10, .connect_timeout = 2s});
    EXPECT_EQ(o.size, 3U);
    EXPECT_EQ(o.max_overflow, 1U);
    EXPECT_EQ(o.min_idle, 2U);
    EXPECT_EQ(o.acquire_timeout, 750ms);
    EXPECT_EQ(o.connect_timeout, 2s);
    EXPECT_FALSE(o.max_lifetime.has_value());
}

}  // namespace
}  // namespace ucm::pool
