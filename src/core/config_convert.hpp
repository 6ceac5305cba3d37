// Conversions of one Setting to a field's type. Each error names the setting's origin; a value is
// quoted only where the field cannot hold a secret (type errors never quote).
#pragma once

#include "core/config_source.hpp"

#include <ucm/core/endpoint.hpp>
#include <ucm/core/secret.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ucm::detail {

[[nodiscard]] std::string to_text(const Setting& setting);
/// A string value wrapped at once, so the plain text never sits in a std::string copy we made.
[[nodiscard]] Secret to_secret(const Setting& setting);
[[nodiscard]] bool to_bool(const Setting& setting);
/// A non-negative integer.
[[nodiscard]] std::size_t to_count(const Setting& setting);
[[nodiscard]] std::uint32_t to_u32(const Setting& setting);
/// A float or integer; "0.025" from the environment.
[[nodiscard]] double to_number(const Setting& setting);
/// A duration string ("5s") or an integer of milliseconds (from the environment: digits alone).
[[nodiscard]] std::chrono::milliseconds to_duration(const Setting& setting);
/// As to_duration(), or "none" for unset.
[[nodiscard]] std::optional<std::chrono::milliseconds> to_optional_duration(const Setting& setting);
/// A size string ("16MiB") or an integer of bytes, or "none" for unset.
[[nodiscard]] std::optional<std::uint64_t> to_optional_bytes(const Setting& setting);
/// An array of strings, or one comma-separated string (the environment's form).
[[nodiscard]] std::vector<std::string> to_list(const Setting& setting);
/// An array of "host:port" strings, or one comma-separated string.
[[nodiscard]] std::vector<Endpoint> to_endpoints(const Setting& setting, std::uint16_t default_port);

}  // namespace ucm::detail
