// Parsers for the small value types of the configuration: durations, byte sizes, ports, endpoints
// and endpoint lists. Shared by the TOML loader, the environment overrides and the URI parsers.
#pragma once

#include <ucm/core/endpoint.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::detail {

/// Whether an error message may show the offending text. Text from a URI or conninfo string may
/// hold a password (a mistyped '@' or '/' shifts it into the host or port), so it is never shown.
enum class Quote { Allowed, Never };

/// The longest duration any setting accepts; beyond it time_point arithmetic could overflow.
inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours{24 * 366};

/// "250ms", "5s", "10min", "1h" (a non-negative integer and a unit, no spaces).
/// Errors: ConfigInvalid(field) quoting the text (durations are never secret).
[[nodiscard]] std::chrono::milliseconds parse_duration(std::string_view text, const std::string& field);

/// "16MiB", "512KiB", "1GiB", "100B".
/// Errors: ConfigInvalid(field) quoting the text.
[[nodiscard]] std::uint64_t parse_byte_size(std::string_view text, const std::string& field);

/// A decimal port 1..65535.
/// Errors: ConfigInvalid(field), quoting the text only if `quote` allows.
[[nodiscard]] std::uint16_t parse_port(std::string_view text, const std::string& field, Quote quote);

/// "host", "host:port", "[v6]" or "[v6]:port"; a missing port is `default_port`.
/// Errors: ConfigInvalid(field): empty host, unbracketed IPv6, bad port, stray characters.
[[nodiscard]] Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port,
                                      const std::string& field, Quote quote);

/// A comma-separated list of endpoints, "h1:p1,h2:p2" (spaces around items are ignored). Empty
/// items are errors. The field of the N-th item's errors is "field[N]".
[[nodiscard]] std::vector<Endpoint> parse_endpoint_list(std::string_view text, std::uint16_t default_port,
                                                        const std::string& field, Quote quote);

/// Parses a whole decimal string of an unsigned 64-bit integer; false on anything else.
[[nodiscard]] bool parse_u64(std::string_view text, std::uint64_t& out) noexcept;

/// The shortest exact spelling in parse_duration's syntax: "250ms", "5s", "10min", "1h".
[[nodiscard]] std::string format_duration(std::chrono::milliseconds duration);

/// The shortest exact spelling in parse_byte_size's syntax: "16MiB", "1000B".
[[nodiscard]] std::string format_byte_size(std::uint64_t bytes);

/// Text trimmed of spaces and tabs at both ends.
[[nodiscard]] std::string_view trim(std::string_view text) noexcept;

}  // namespace ucm::detail
