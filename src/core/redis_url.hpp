// Parsers of Redis addresses: `redis://` URLs and Sentinel lists.
#pragma once

#include <ucm/core/endpoint.hpp>
#include <ucm/core/secret.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::detail {

/// What a `redis://` URL holds; unset parts were not in the URL.
struct RedisUrl {
    Endpoint endpoint{};                ///< port default 6379
    std::optional<std::string> user{};  ///< ACL user
    std::optional<Secret> password{};
    std::optional<std::uint32_t> db{};
};

/// Parses `redis://[user[:password]@]host[:port][/db]` (also `redis://:password@host`), with
/// percent-decoding of user and password and IPv6 hosts in brackets. The user information ends at the
/// last '@', so an unencoded '@' in a password still parses.
///
/// Errors: ConfigInvalid(field), never quoting the input: `rediss://` (hiredis 0.14 has no TLS),
/// other schemes, query strings, a bad host, port or database number.
[[nodiscard]] RedisUrl parse_redis_url(std::string_view url, const std::string& field);

/// Parses a Sentinel list, `host:port,host:port` (port default 26379).
///
/// Errors: ConfigInvalid("field[N]") for an empty item, a bad host or a port outside 1..65535.
[[nodiscard]] std::vector<Endpoint> parse_sentinel_list(std::string_view text, const std::string& field);

}  // namespace ucm::detail
