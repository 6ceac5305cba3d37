// Scrubbing of secrets from text that ucm did not write itself (a driver's error message, a server
// notice) before it reaches a log line, an exception or a health report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ucm::detail {

/// `text` with every occurrence of every non-empty secret replaced by "***". Longer secrets are
/// replaced first, so a secret that contains another is hidden whole.
[[nodiscard]] std::string redact(std::string_view text, const std::vector<std::string_view>& secrets);

}  // namespace ucm::detail
