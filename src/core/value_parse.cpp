#include "core/value_parse.hpp"

#include <ucm/core/error.hpp>

#include <array>
#include <charconv>
#include <limits>
#include <span>
#include <utility>

namespace ucm::detail {
namespace {

struct Unit {
    std::string_view suffix;
    std::uint64_t factor;
};

// Longest suffix first where one ends another ("ms" before "s", "KiB" before "B").
constexpr std::array<Unit, 4> kDurationUnits{{{"ms", 1}, {"min", 60'000}, {"s", 1'000}, {"h", 3'600'000}}};
constexpr std::array<Unit, 4> kByteUnits{
    {{"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"B", 1}}};

std::string quoted(std::string_view text) { return "'" + std::string{text} + "'"; }

// Splits "123unit" at the first non-digit; returns the number and writes the unit's factor.
bool parse_with_unit(std::string_view text, std::span<const Unit> units, std::uint64_t& value) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    std::uint64_t number = 0;
    if (digits == 0 || !parse_u64(text.substr(0, digits), number)) return false;
    const std::string_view suffix = text.substr(digits);
    for (const Unit& unit : units) {
        if (suffix != unit.suffix) continue;
        if (number > std::numeric_limits<std::uint64_t>::max() / unit.factor) return false;
        value = number * unit.factor;
        return true;
    }
    return false;
}

}  // namespace

bool parse_u64(std::string_view text, std::uint64_t& out) noexcept {
    if (text.empty()) return false;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc{} && ptr == end;
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::chrono::milliseconds parse_duration(std::string_view text, const std::string& field) {
    std::uint64_t ms = 0;
    if (!parse_with_unit(text, kDurationUnits, ms)) {
        throw ConfigInvalid(
            field, "expected a duration like \"250ms\", \"5s\", \"10min\" or \"1h\", got " + quoted(text));
    }
    if (ms > static_cast<std::uint64_t>(kMaxDuration.count())) {
        throw ConfigInvalid(field, "must be <= 366 days, got " + quoted(text));
    }
    return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

std::uint64_t parse_byte_size(std::string_view text, const std::string& field) {
    std::uint64_t bytes = 0;
    if (!parse_with_unit(text, kByteUnits, bytes)) {
        throw ConfigInvalid(field,
                            "expected a size like \"16MiB\", \"512KiB\" or \"100B\", got " + quoted(text));
    }
    return bytes;
}

std::uint16_t parse_port(std::string_view text, const std::string& field, Quote quote) {
    std::uint64_t port = 0;
    if (parse_u64(text, port) && port >= 1 && port <= 65535) return static_cast<std::uint16_t>(port);
    std::string problem = "port must be a number in 1..65535";
    if (quote == Quote::Allowed) problem += ", got " + quoted(text);
    throw ConfigInvalid(field, problem);
}

Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port, const std::string& field,
                        Quote quote) {
    const auto fail = [&](std::string problem) -> Endpoint {
        if (quote == Quote::Allowed) problem += " in " + quoted(text);
        throw ConfigInvalid(field, problem);
    };
    std::string_view host;
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return fail("unclosed '[' of an IPv6 address");
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return fail("unexpected text after ']'");
    } else {
        const std::size_t colon = text.find(':');
        if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
            return fail("an IPv6 address needs brackets, as in [::1]:5432");
        }
        host = text.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    }
    if (host.empty()) return fail("empty host");
    for (char c : host) {
        if (c == ' ' || c == ',' || c == '/' || c == '@' || c == '[' || c == ']' ||
            static_cast<unsigned char>(c) < 0x20) {
            return fail("host contains a character not allowed in a host name");
        }
    }
    std::uint16_t port = default_port;
    if (!rest.empty()) port = parse_port(rest.substr(1), field, quote);
    return Endpoint{.host = std::string{host}, .port = port};
}

std::vector<Endpoint> parse_endpoint_list(std::string_view text, std::uint16_t default_port,
                                          const std::string& field, Quote quote) {
    std::vector<Endpoint> endpoints;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string_view item = trim(text.substr(start, comma - start));
        const std::string item_field = field + "[" + std::to_string(endpoints.size()) + "]";
        if (item.empty()) throw ConfigInvalid(item_field, "empty host in a comma-separated list");
        endpoints.push_back(parse_endpoint(item, default_port, item_field, quote));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return endpoints;
}

std::string format_duration(std::chrono::milliseconds duration) {
    const auto ms = duration.count();
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "min";
    if (ms != 0 && ms % 1'000 == 0) return std::to_string(ms / 1'000) + "s";
    return std::to_string(ms) + "ms";
}

std::string format_byte_size(std::uint64_t bytes) {
    for (const Unit& unit : {kByteUnits[2], kByteUnits[1], kByteUnits[0]}) {
        if (bytes != 0 && bytes % unit.factor == 0) {
            return std::to_string(bytes / unit.factor) + std::string{unit.suffix};
        }
    }
    return std::to_string(bytes) + "B";
}

}  // namespace ucm::detail
