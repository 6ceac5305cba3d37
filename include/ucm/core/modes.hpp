#pragma once

#include <ucm/export.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ucm {

/// A workload preset (DESIGN "Modes"): it fixes the default pool sizes, the p99 SLA target, the
/// query deadline and which ConnectionModes callers may request. Config fields override each one.
enum class ManagerMode { McpServer, MlTraining, Admin, SyncHeavy, AsyncModern, HighAvailability };

/// What a caller asks a connection for. ReadOnly leases may go to a standby; ReadWrite and Admin go
/// to the primary; Admin may use a separate, more privileged PostgreSQL role.
enum class ConnectionMode { ReadOnly, ReadWrite, Admin };

inline constexpr std::array<ManagerMode, 6> kAllManagerModes{
    ManagerMode::McpServer, ManagerMode::MlTraining,  ManagerMode::Admin,
    ManagerMode::SyncHeavy, ManagerMode::AsyncModern, ManagerMode::HighAvailability};

inline constexpr std::array<ConnectionMode, 3> kAllConnectionModes{
    ConnectionMode::ReadOnly, ConnectionMode::ReadWrite, ConnectionMode::Admin};

/// A set of ConnectionModes, e.g. the access a manager allows.
///
/// Thread safety: a value type; const access is safe to share.
class AccessSet {
  public:
    constexpr AccessSet() noexcept = default;
    constexpr AccessSet(std::initializer_list<ConnectionMode> modes) noexcept {
        for (ConnectionMode mode : modes) bits_ = static_cast<std::uint8_t>(bits_ | bit(mode));
    }

    [[nodiscard]] constexpr bool contains(ConnectionMode mode) const noexcept {
        return (bits_ & bit(mode)) != 0;
    }
    [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
    [[nodiscard]] constexpr AccessSet with(ConnectionMode mode) const noexcept {
        AccessSet result = *this;
        result.bits_ = static_cast<std::uint8_t>(bits_ | bit(mode));
        return result;
    }

    constexpr bool operator==(const AccessSet&) const noexcept = default;

  private:
    static constexpr std::uint8_t bit(ConnectionMode mode) noexcept {
        return static_cast<std::uint8_t>(1U << static_cast<unsigned>(mode));
    }
    std::uint8_t bits_ = 0;
};

/// The numbers a ManagerMode stands for. Sizes are per (endpoint, access) pool.
struct ModePreset {
    std::size_t pool_size = 0;                    ///< connections kept per pool
    std::size_t max_overflow = 0;                 ///< extra connections, closed on release
    std::chrono::milliseconds sla_p99_target{0};  ///< p99 latency the SLA tracker measures against
    std::chrono::milliseconds query_deadline{0};  ///< client-side deadline of each query/command
    AccessSet allowed_access{};                   ///< ConnectionModes callers may request

    constexpr bool operator==(const ModePreset&) const noexcept = default;
};

/// The preset of a mode, exactly DESIGN's "Modes" table; the query deadline is DESIGN's "Defaults"
/// (30 s, McpServer 5 s).
[[nodiscard]] constexpr ModePreset mode_preset(ManagerMode mode) noexcept {
    using std::chrono::milliseconds;
    constexpr AccessSet kReadWrite{ConnectionMode::ReadOnly, ConnectionMode::ReadWrite};
    constexpr milliseconds kQueryDeadline{30'000};
    switch (mode) {
        case ManagerMode::McpServer:
            return {20, 10, milliseconds{200}, milliseconds{5'000}, kReadWrite};
        case ManagerMode::MlTraining:
            return {15, 10, milliseconds{2'000}, kQueryDeadline, kReadWrite};
        case ManagerMode::Admin:
            return {5, 2, milliseconds{1'000}, kQueryDeadline, kReadWrite.with(ConnectionMode::Admin)};
        case ManagerMode::SyncHeavy:
            return {10, 15, milliseconds{500}, kQueryDeadline, kReadWrite};
        case ManagerMode::AsyncModern:
            return {12, 8, milliseconds{200}, kQueryDeadline, kReadWrite};
        case ManagerMode::HighAvailability:
            return {20, 20, milliseconds{200}, kQueryDeadline, kReadWrite};
    }
    return {};
}

/// The snake_case name used in TOML and environment variables, e.g. "mcp_server".
[[nodiscard]] UCM_EXPORT std::string_view to_string(ManagerMode mode) noexcept;
/// "read_only", "read_write" or "admin".
[[nodiscard]] UCM_EXPORT std::string_view to_string(ConnectionMode mode) noexcept;
/// The members of a set, comma-separated in kAllConnectionModes order, e.g. "read_only,read_write".
[[nodiscard]] UCM_EXPORT std::string to_string(AccessSet access);

/// Parses a mode name in snake_case ("mcp_server") or PascalCase ("McpServer").
///
/// Errors: ConfigInvalid naming `field`, the unknown name and the valid names.
[[nodiscard]] UCM_EXPORT ManagerMode parse_manager_mode(std::string_view name,
                                                        std::string_view field = "manager.mode");

/// Parses "read_only"/"ReadOnly", "read_write"/"ReadWrite" or "admin"/"Admin".
///
/// Errors: ConfigInvalid naming `field`, the unknown name and the valid names.
[[nodiscard]] UCM_EXPORT ConnectionMode parse_connection_mode(std::string_view name, std::string_view field);

}  // namespace ucm
