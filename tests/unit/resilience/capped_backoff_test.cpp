#include "resilience/capped_backoff.hpp"

#include <gtest/gtest.h>

namespace ucm {
namespace {

using namespace std::chrono_literals;

TEST(CappedBackoff, DoublesFromTheFirstWaitUpToTheCapAndStartsOverAfterASuccess) {
    CappedBackoff b(10ms, 50ms);
    EXPECT_EQ(b.current(), 0ms);
    EXPECT_EQ(b.failed(), 10ms);
    EXPECT_EQ(b.failed(), 20ms);
    EXPECT_EQ(b.failed(), 40ms);
    EXPECT_EQ(b.failed(), 50ms);
    EXPECT_EQ(b.failed(), 50ms);
    EXPECT_EQ(b.current(), 50ms);
    b.reset();
    EXPECT_EQ(b.current(), 0ms);
    EXPECT_EQ(b.failed(), 10ms);
}

TEST(CappedBackoff, ACapBelowTheFirstWaitIsTheFirstWait) {
    CappedBackoff b(100ms, 10ms);
    EXPECT_EQ(b.failed(), 100ms);
    EXPECT_EQ(b.failed(), 100ms);
}

}  // namespace
}  // namespace ucm
