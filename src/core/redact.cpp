#include "core/redact.hpp"

#include <ucm/core/secret.hpp>

#include <algorithm>

namespace ucm::detail {

std::string redact(std::string_view text, const std::vector<std::string_view>& secrets) {
    std::vector<std::string_view> ordered;
    for (std::string_view secret : secrets) {
        if (!secret.empty()) ordered.push_back(secret);
    }
    std::sort(ordered.begin(), ordered.end(),
              [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
    std::string out{text};
    for (std::string_view secret : ordered) {
        std::size_t pos = 0;
        while ((pos = out.find(secret, pos)) != std::string::npos) {
            out.replace(pos, secret.size(), Secret::redacted());
            pos += Secret::redacted().size();
        }
    }
    return out;
}

}  // namespace ucm::detail
