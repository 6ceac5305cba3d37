#pragma once

#include <ucm/core/endpoint.hpp>
#include <ucm/core/secret.hpp>
#include <ucm/export.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ucm {

inline constexpr std::uint16_t kDefaultPgPort = 5432;
inline constexpr std::uint64_t kDefaultMaxReplicationLagBytes = 16ULL * 1024 * 1024;  // 16 MiB

/// libpq's sslmode, spelled in TOML as libpq does ("verify-full").
enum class SslMode { Disable, Allow, Prefer, Require, VerifyCa, VerifyFull };

/// Whether a ReadOnly lease may be served by the primary when no standby qualifies.
enum class ReadOnlyFallback { Allow, Forbid };

/// How a ReadOnly lease picks among the standbys that qualify: in turn, or the one with the
/// smallest round-trip time of the last probe.
enum class ReadPolicy { RoundRobin, Nearest };

/// libpq's spelling: "disable", "allow", "prefer", "require", "verify-ca", "verify-full".
[[nodiscard]] UCM_EXPORT std::string_view to_string(SslMode mode) noexcept;
/// "allow" or "forbid".
[[nodiscard]] UCM_EXPORT std::string_view to_string(ReadOnlyFallback fallback) noexcept;
/// "round_robin" or "nearest".
[[nodiscard]] UCM_EXPORT std::string_view to_string(ReadPolicy policy) noexcept;

/// Credentials of the PostgreSQL login role used for one ConnectionMode (TOML table
/// `[postgres.roles.read_only]` and so on). Real privilege separation is a role per mode (DESIGN).
/// At most one of password, password_file and password_env is given; none leaves authentication to
/// libpq (e.g. ~/.pgpass or certificates).
struct PgRole {
    std::string user{};                     ///< login role name; non-empty
    Secret password{};                      ///< the password itself
    std::filesystem::path password_file{};  ///< file holding the password; one trailing newline is dropped
    std::string password_env{};             ///< name of an environment variable holding the password

    bool operator==(const PgRole&) const = default;
};

/// Per-ConnectionMode login roles; an unset one uses PgOptions::user and its password.
struct PgRoles {
    std::optional<PgRole> read_only{};
    std::optional<PgRole> read_write{};
    std::optional<PgRole> admin{};

    bool operator==(const PgRoles&) const = default;
};

/// The PostgreSQL cluster: its hosts, credentials, TLS, deadlines and routing limits (TOML table
/// `[postgres]`). `uri` in TOML (a `postgresql://` URI or a key=value conninfo string) fills the
/// same fields; keys given beside it override what it set.
///
/// Thread safety: a value type; const access is safe to share.
struct PgOptions {
    /// Every host of the cluster, primary and standbys in any order (ucm finds the roles); at least
    /// one; ports 1..65535, default 5432.
    std::vector<Endpoint> hosts{};
    std::string dbname{};  ///< database; empty: libpq's default (the user name)
    std::string user{};    ///< login role; empty: libpq's default (the OS user)
    /// Password. At most one of password, password_file and password_env is given.
    Secret password{};
    std::filesystem::path password_file{};  ///< file holding the password; one trailing newline is dropped
    std::string password_env{};             ///< name of an environment variable holding the password
    /// Shown in pg_stat_activity; at most 63 bytes. Empty: "ucm/<mode>/<manager id>".
    std::string application_name{};
    /// Deadline of one connection attempt, enforced by ucm (not libpq's whole-second one); > 0.
    std::chrono::milliseconds connect_timeout{5'000};
    /// Client-side deadline of each query; on expiry the connection is closed; > 0.
    /// Unset: the manager mode's preset (30 s, McpServer 5 s).
    std::optional<std::chrono::milliseconds> query_timeout{};
    /// Server-side `statement_timeout` set on each session; > 0. Unset: the server's setting.
    std::optional<std::chrono::milliseconds> statement_timeout{};
    SslMode sslmode = SslMode::Prefer;    ///< as libpq's sslmode
    std::filesystem::path sslrootcert{};  ///< CA certificate file; empty: libpq's default
    std::filesystem::path sslcert{};      ///< client certificate file; empty: none
    std::filesystem::path sslkey{};       ///< client key file; empty: none
    Secret sslpassword{};                 ///< passphrase of sslkey
    /// Use only unnamed prepared statements and no startup options, as PgBouncer in transaction
    /// mode requires (read-only sessions then use `BEGIN READ ONLY`).
    bool unnamed_statements_only = false;
    /// Whether ReadOnly leases may fall back to the primary when no standby is within the lag limit.
    ReadOnlyFallback read_only_fallback = ReadOnlyFallback::Allow;
    /// How reads choose among qualifying standbys.
    ReadPolicy read_policy = ReadPolicy::RoundRobin;
    /// A standby further behind than this in time serves no reads; >= 0. Unset: no time limit.
    std::optional<std::chrono::milliseconds> max_replication_lag{std::chrono::seconds{30}};
    /// A standby further behind than this in WAL bytes serves no reads. Unset: no byte limit.
    std::optional<std::uint64_t> max_replication_lag_bytes{kDefaultMaxReplicationLagBytes};
    /// Interval of topology refresh (roles, lag), besides the refresh events trigger; > 0.
    std::chrono::milliseconds topology_refresh{1'000};
    PgRoles roles{};  ///< per-ConnectionMode login roles

    bool operator==(const PgOptions&) const = default;
};

}  // namespace ucm
