#pragma once

#include <ucm/export.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace ucm {

/// A password or other credential. It prints only as `***` (operator<<, fmt through ostream, and
/// `redacted()`); the only way to the plain text is the deliberately long name `reveal()`.
///
/// Thread safety: a value type; const access is safe to share.
class UCM_EXPORT Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    /// The plain text, for handing to a driver. Never log it.
    [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
    [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
    /// What is shown wherever the secret would appear.
    [[nodiscard]] static std::string_view redacted() noexcept { return "***"; }

    bool operator==(const Secret&) const = default;

private:
    std::string value_;
};

UCM_EXPORT std::ostream& operator<<(std::ostream& os, const Secret& secret);

}  // namespace ucm
