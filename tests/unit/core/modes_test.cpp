#include <ucm/core/error.hpp>
#include <ucm/core/modes.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using ucm::ConnectionMode;
using ucm::ManagerMode;

constexpr ucm::AccessSet kReadWrite{ConnectionMode::ReadOnly, ConnectionMode::ReadWrite};

// DESIGN "Modes", row by row.
TEST(ModePreset, McpServerMatchesDesign) {
    EXPECT_EQ(ucm::mode_preset(ManagerMode::McpServer), (ucm::ModePreset{20, 10, 200ms, 5s, kReadWrite}));
}
TEST(ModePreset, MlTrainingMatchesDesign) {
    EXPECT_EQ(ucm::mode_preset(ManagerMode::MlTraining), (ucm::ModePreset{15, 10, 2s, 30s, kReadWrite}));
}
TEST(ModePreset, AdminMatchesDesignAndAllowsAdminAccess) {
    const ucm::AccessSet all{ConnectionMode::ReadOnly, ConnectionMode::ReadWrite, ConnectionMode::Admin};
    EXPECT_EQ(ucm::mode_preset(ManagerMode::Admin), (ucm::ModePreset{5, 2, 1s, 30s, all}));
}
TEST(ModePreset, SyncHeavyMatchesDesign) {
    EXPECT_EQ(ucm::mode_preset(ManagerMode::SyncHeavy), (ucm::ModePreset{10, 15, 500ms, 30s, kReadWrite}));
}
TEST(ModePreset, AsyncModernMatchesDesign) {
    EXPECT_EQ(ucm::mode_preset(ManagerMode::AsyncModern), (ucm::ModePreset{12, 8, 200ms, 30s, kReadWrite}));
}
TEST(ModePreset, HighAvailabilityMatchesDesign) {
    EXPECT_EQ(ucm::mode_preset(ManagerMode::HighAvailability),
              (ucm::ModePreset{20, 20, 200ms, 30s, kReadWrite}));
}

TEST(ModePreset, OnlyAdminModeAllowsAdminAccess) {
    for (ManagerMode mode : ucm::kAllManagerModes) {
        EXPECT_EQ(ucm::mode_preset(mode).allowed_access.contains(ConnectionMode::Admin),
                  mode == ManagerMode::Admin)
            << ucm::to_string(mode);
    }
}

TEST(ModePreset, IsUsableAtCompileTime) {
    static_assert(ucm::mode_preset(ManagerMode::McpServer).pool_size == 20);
    SUCCEED();
}

TEST(AccessSet, ContainsOnlyWhatWasAdded) {
    const ucm::AccessSet set = ucm::AccessSet{}.with(ConnectionMode::Admin);
    EXPECT_TRUE(set.contains(ConnectionMode::Admin));
    EXPECT_FALSE(set.contains(ConnectionMode::ReadOnly));
    EXPECT_TRUE(ucm::AccessSet{}.empty());
}

TEST(AccessSet, PrintsMembersInFixedOrder) {
    EXPECT_EQ(ucm::to_string(ucm::AccessSet{ConnectionMode::ReadWrite, ConnectionMode::ReadOnly}),
              "read_only,read_write");
}

TEST(ManagerModeName, RoundTripsThroughSnakeCase) {
    for (ManagerMode mode : ucm::kAllManagerModes) {
        EXPECT_EQ(ucm::parse_manager_mode(ucm::to_string(mode)), mode);
    }
}

TEST(ManagerModeName, AcceptsSnakeAndPascalCase) {
    EXPECT_EQ(ucm::parse_manager_mode("mcp_server"), ManagerMode::McpServer);
    EXPECT_EQ(ucm::parse_manager_mode("McpServer"), ManagerMode::McpServer);
    EXPECT_EQ(ucm::parse_manager_mode("HighAvailability"), ManagerMode::HighAvailability);
}

TEST(ManagerModeName, UnknownNameIsConfigInvalidListingValidNames) {
    try {
        (void)ucm::parse_manager_mode("turbo");
        FAIL() << "no exception";
    } catch (const ucm::ConfigInvalid& error) {
        EXPECT_EQ(error.field(), "manager.mode");
        EXPECT_THAT(error.what(), HasSubstr("'turbo'"));
        EXPECT_THAT(error.what(),
                    HasSubstr("mcp_server, ml_training, admin, sync_heavy, async_modern, high_availability"));
    }
}

TEST(ManagerModeName, OtherCasingsAreRejected) {
    EXPECT_THROW((void)ucm::parse_manager_mode("MCP_SERVER"), ucm::ConfigInvalid);
    EXPECT_THROW((void)ucm::parse_manager_mode("mcpserver"), ucm::ConfigInvalid);
}

TEST(ConnectionModeName, AcceptsBothSpellings) {
    EXPECT_EQ(ucm::parse_connection_mode("read_only", "f"), ConnectionMode::ReadOnly);
    EXPECT_EQ(ucm::parse_connection_mode("ReadWrite", "f"), ConnectionMode::ReadWrite);
    EXPECT_EQ(ucm::parse_connection_mode("admin", "f"), ConnectionMode::Admin);
}

TEST(ConnectionModeName, UnknownNameNamesTheField) {
    EXPECT_THROW((void)ucm::parse_connection_mode("write_only", "manager.allowed_access"),
                 ucm::ConfigInvalid);
}

}  // namespace
