#include <ucm/core/error.hpp>
#include <ucm/core/modes.hpp>

#include <array>

namespace ucm {
namespace {

struct ModeName {
    ManagerMode mode;
    std::string_view snake;
    std::string_view pascal;
};

constexpr std::array<ModeName, 6> kModeNames{{
    {ManagerMode::McpServer, "mcp_server", "McpServer"},
    {ManagerMode::MlTraining, "ml_training", "MlTraining"},
    {ManagerMode::Admin, "admin", "Admin"},
    {ManagerMode::SyncHeavy, "sync_heavy", "SyncHeavy"},
    {ManagerMode::AsyncModern, "async_modern", "AsyncModern"},
    {ManagerMode::HighAvailability, "high_availability", "HighAvailability"},
}};

struct AccessName {
    ConnectionMode mode;
    std::string_view snake;
    std::string_view pascal;
};

constexpr std::array<AccessName, 3> kAccessNames{{
    {ConnectionMode::ReadOnly, "read_only", "ReadOnly"},
    {ConnectionMode::ReadWrite, "read_write", "ReadWrite"},
    {ConnectionMode::Admin, "admin", "Admin"},
}};

// Finds `name` in either spelling, or throws naming every valid snake_case spelling.
template <typename Table>
auto find_by_name(const Table& table, std::string_view name, std::string_view field) {
    for (const auto& entry : table) {
        if (name == entry.snake || name == entry.pascal) return entry.mode;
    }
    std::string valid;
    for (const auto& entry : table) valid += (valid.empty() ? "" : ", ") + std::string{entry.snake};
    throw ConfigInvalid(std::string{field},
                        "unknown name '" + std::string{name} + "' (valid: " + valid + ")");
}

}  // namespace

std::string_view to_string(ManagerMode mode) noexcept {
    for (const ModeName& entry : kModeNames) {
        if (entry.mode == mode) return entry.snake;
    }
    return "unknown";
}

std::string_view to_string(ConnectionMode mode) noexcept {
    for (const AccessName& entry : kAccessNames) {
        if (entry.mode == mode) return entry.snake;
    }
    return "unknown";
}

std::string to_string(AccessSet access) {
    std::string out;
    for (ConnectionMode mode : kAllConnectionModes) {
        if (access.contains(mode)) out += (out.empty() ? "" : ",") + std::string{to_string(mode)};
    }
    return out;
}

ManagerMode parse_manager_mode(std::string_view name, std::string_view field) {
    return find_by_name(kModeNames, name, field);
}

ConnectionMode parse_connection_mode(std::string_view name, std::string_view field) {
    return find_by_name(kAccessNames, name, field);
}

}  // namespace ucm
