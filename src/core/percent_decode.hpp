// RFC 3986 percent-decoding for the URI parsers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ucm::detail {

/// Decodes every "%XX"; nullopt when a '%' is not followed by two hex digits. The caller reports
/// the error without quoting the text, which may be a password.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text);

}  // namespace ucm::detail
