// fmt support for ucm::Secret, kept private because public headers never include fmt. Without it
// fmt would refuse to format a Secret at all, which is safe but unhelpful in log statements.
#pragma once

#include <ucm/core/secret.hpp>

#include <fmt/format.h>

#include <string_view>

template <>
struct fmt::formatter<ucm::Secret> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const ucm::Secret& /*secret*/, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(ucm::Secret::redacted(), ctx);
    }
};
