#pragma once

#include <ucm/core/endpoint.hpp>
#include <ucm/core/secret.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ucm {

inline constexpr std::uint16_t kDefaultRedisPort = 6379;
inline constexpr std::uint16_t kDefaultSentinelPort = 26379;

/// One Redis server, addressed directly (TOML `redis.url = "redis://host:port/db"`).
struct RedisStandalone {
    Endpoint endpoint{};  ///< the master; port default 6379

    bool operator==(const RedisStandalone&) const = default;
};

/// A Sentinel-managed master (TOML `redis.sentinels`, `redis.master_name`,
/// `redis.sentinel_password`). ucm follows the master on `+switch-master`.
struct RedisSentinel {
    std::vector<Endpoint> sentinels{};  ///< at least one; port default 26379
    std::string master_name{};          ///< the name the sentinels monitor; non-empty
    Secret sentinel_password{};         ///< `requirepass` of the sentinels; empty: none

    bool operator==(const RedisSentinel&) const = default;
};

/// Redis, standalone or Sentinel-managed (TOML table `[redis]`). Only plain TCP: hiredis 0.14 has no
/// TLS, so `rediss://` is rejected.
///
/// Thread safety: a value type; const access is safe to share.
struct RedisOptions {
    /// Where the master is: one server, or sentinels to ask. The TOML gives either `url` or
    /// `sentinels`, never both.
    std::variant<RedisStandalone, RedisSentinel> topology{};
    std::uint32_t db = 0;  ///< database number selected on connect (SELECT); the server's limit applies
    std::string user{};    ///< ACL user (Redis 6+); empty: "default"
    /// Password of the master and replicas. At most one of password, password_file and
    /// password_env is given.
    Secret password{};
    std::filesystem::path password_file{};  ///< file holding the password; one trailing newline is dropped
    std::string password_env{};             ///< name of an environment variable holding the password
    /// Deadline of one connection attempt (hiredis 0.14 has no async one; ucm enforces it); > 0.
    std::chrono::milliseconds connect_timeout{5'000};
    /// Client-side deadline of each command; > 0. Unset: the manager mode's query deadline.
    std::optional<std::chrono::milliseconds> command_timeout{};

    bool operator==(const RedisOptions&) const = default;
};

}  // namespace ucm
