#include "core/config_convert.hpp"

#include "core/value_parse.hpp"

#include <ucm/core/error.hpp>

#include <array>
#include <charconv>
#include <limits>

namespace ucm::detail {
namespace {

// Indexed by RawValue's alternatives, in order.
constexpr std::array<std::string_view, std::variant_size_v<RawValue>> kTypeNames{
    "a string", "an integer", "a float", "a boolean", "an array"};

[[noreturn]] void wrong_type(const Setting& setting, std::string_view expected) {
    throw ConfigInvalid(setting.origin, "expected " + std::string{expected} + ", got " +
                                            std::string{kTypeNames[setting.value.index()]});
}

const std::string* env_text(const Setting& setting) {
    return setting.from_env ? std::get_if<std::string>(&setting.value) : nullptr;
}

std::uint64_t to_unsigned(const Setting& setting, std::uint64_t max) {
    std::uint64_t value = 0;
    if (const auto* number = std::get_if<std::int64_t>(&setting.value)) {
        if (*number < 0) {
            throw ConfigInvalid(setting.origin, "must not be negative, got " + std::to_string(*number));
        }
        value = static_cast<std::uint64_t>(*number);
    } else if (const std::string* text = env_text(setting)) {
        if (!parse_u64(*text, value)) {
            throw ConfigInvalid(setting.origin, "expected a non-negative integer, got '" + *text + "'");
        }
    } else {
        wrong_type(setting, "an integer");
    }
    if (value > max) {
        throw ConfigInvalid(setting.origin,
                            "must be <= " + std::to_string(max) + ", got " + std::to_string(value));
    }
    return value;
}

}  // namespace

std::string to_text(const Setting& setting) {
    if (const auto* text = std::get_if<std::string>(&setting.value)) return *text;
    wrong_type(setting, "a string");
}

Secret to_secret(const Setting& setting) {
    if (const auto* text = std::get_if<std::string>(&setting.value)) return Secret{*text};
    wrong_type(setting, "a string");
}

bool to_bool(const Setting& setting) {
    if (const auto* flag = std::get_if<bool>(&setting.value)) return *flag;
    if (const std::string* text = env_text(setting)) {
        if (*text == "true" || *text == "1" || *text == "yes" || *text == "on") return true;
        if (*text == "false" || *text == "0" || *text == "no" || *text == "off") return false;
        throw ConfigInvalid(setting.origin, "expected true or false, got '" + *text + "'");
    }
    wrong_type(setting, "a boolean");
}

std::size_t to_count(const Setting& setting) {
    return static_cast<std::size_t>(to_unsigned(setting, std::numeric_limits<std::uint32_t>::max()));
}

std::uint32_t to_u32(const Setting& setting) {
    return static_cast<std::uint32_t>(to_unsigned(setting, std::numeric_limits<std::uint32_t>::max()));
}

double to_number(const Setting& setting) {
    if (const auto* number = std::get_if<double>(&setting.value)) return *number;
    if (const auto* integer = std::get_if<std::int64_t>(&setting.value)) return static_cast<double>(*integer);
    if (const std::string* text = env_text(setting)) {
        double value = 0;
        const char* end = text->data() + text->size();
        auto [ptr, ec] = std::from_chars(text->data(), end, value);
        if (ec == std::errc{} && ptr == end && !text->empty()) return value;
        throw ConfigInvalid(setting.origin, "expected a number, got '" + *text + "'");
    }
    wrong_type(setting, "a number");
}

std::chrono::milliseconds to_duration(const Setting& setting) {
    std::uint64_t ms = 0;
    const auto* text = std::get_if<std::string>(&setting.value);
    if (const auto* number = std::get_if<std::int64_t>(&setting.value)) {
        if (*number < 0) {
            throw ConfigInvalid(setting.origin, "must not be negative, got " + std::to_string(*number));
        }
        ms = static_cast<std::uint64_t>(*number);
    } else if (text == nullptr) {
        wrong_type(setting, "a duration string like \"5s\" or an integer of milliseconds");
    } else if (!setting.from_env || !parse_u64(*text, ms)) {
        // Digits alone are milliseconds only from the environment, which has no integer type.
        return parse_duration(*text, setting.origin);
    }
    if (ms > static_cast<std::uint64_t>(kMaxDuration.count())) {
        throw ConfigInvalid(setting.origin, "must be <= 366 days, got " + std::to_string(ms) + "ms");
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

std::optional<std::chrono::milliseconds> to_optional_duration(const Setting& setting) {
    if (const auto* text = std::get_if<std::string>(&setting.value); text && *text == "none") {
        return std::nullopt;
    }
    return to_duration(setting);
}

std::optional<std::uint64_t> to_optional_bytes(const Setting& setting) {
    const auto* text = std::get_if<std::string>(&setting.value);
    if (text == nullptr) return to_unsigned(setting, std::numeric_limits<std::int64_t>::max());
    if (*text == "none") return std::nullopt;
    std::uint64_t bytes = 0;
    if (setting.from_env && parse_u64(*text, bytes)) return bytes;
    return parse_byte_size(*text, setting.origin);
}

std::vector<std::string> to_list(const Setting& setting) {
    if (const auto* list = std::get_if<std::vector<std::string>>(&setting.value)) return *list;
    const auto* text = std::get_if<std::string>(&setting.value);
    if (text == nullptr) wrong_type(setting, "an array of strings");
    std::vector<std::string> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text->find(',', start);
        items.emplace_back(trim(std::string_view{*text}.substr(start, comma - start)));
        if (comma == std::string::npos) return items;
        start = comma + 1;
    }
}

std::vector<Endpoint> to_endpoints(const Setting& setting, std::uint16_t default_port) {
    if (const auto* text = std::get_if<std::string>(&setting.value)) {
        return parse_endpoint_list(*text, default_port, setting.origin, Quote::Allowed);
    }
    const auto* list = std::get_if<std::vector<std::string>>(&setting.value);
    if (list == nullptr) wrong_type(setting, "an array of \"host:port\" strings");
    std::vector<Endpoint> endpoints;
    for (std::size_t i = 0; i < list->size(); ++i) {
        endpoints.push_back(parse_endpoint(trim((*list)[i]), default_port,
                                           setting.origin + "[" + std::to_string(i) + "]", Quote::Allowed));
    }
    return endpoints;
}

}  // namespace ucm::detail
