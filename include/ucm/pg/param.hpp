#pragma once

#include <ucm/export.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ucm::pg {

/// Raw bytes for a `bytea` parameter (sent in binary format, so no escaping is involved).
struct Bytes {
    std::span<const std::byte> data{};
};

/// One encoded statement parameter: its type OID, its wire text (or bytes) and format.
///
/// Parameters are encoded by value into a small owned buffer, so a `Param` never dangles.
/// Thread safety: a value type.
struct Param {
    unsigned type_oid = 0;    ///< PostgreSQL type OID; 0 lets the server infer it
    bool is_null = false;
    bool binary = false;      ///< true only for bytea
    std::string value{};      ///< text form (or raw bytes when `binary`)
};

namespace oid {
inline constexpr unsigned kBool = 16;
inline constexpr unsigned kBytea = 17;
inline constexpr unsigned kInt8 = 20;
inline constexpr unsigned kInt2 = 21;
inline constexpr unsigned kInt4 = 23;
inline constexpr unsigned kText = 25;
inline constexpr unsigned kFloat8 = 701;
}  // namespace oid

namespace detail {
template <class Int>
std::string int_to_text(Int value) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    (void)ec;  // 24 bytes hold any 64-bit integer
    return {buffer, end};
}
UCM_EXPORT std::string double_to_text(double value);  // shortest round-trip form, "NaN"/"Infinity" spelled out
}  // namespace detail

inline Param to_param(std::int16_t v) { return {.type_oid = oid::kInt2, .value = detail::int_to_text(v)}; }
inline Param to_param(std::int32_t v) { return {.type_oid = oid::kInt4, .value = detail::int_to_text(v)}; }
inline Param to_param(std::int64_t v) { return {.type_oid = oid::kInt8, .value = detail::int_to_text(v)}; }
inline Param to_param(double v) { return {.type_oid = oid::kFloat8, .value = detail::double_to_text(v)}; }
inline Param to_param(bool v) { return {.type_oid = oid::kBool, .value = v ? "t" : "f"}; }
inline Param to_param(std::string_view v) { return {.type_oid = oid::kText, .value = std::string(v)}; }
inline Param to_param(const std::string& v) { return {.type_oid = oid::kText, .value = v}; }
inline Param to_param(const char* v) { return {.type_oid = oid::kText, .value = v}; }
inline Param to_param(Bytes v) {
    return {.type_oid = oid::kBytea,
            .binary = true,
            .value = std::string(reinterpret_cast<const char*>(v.data.data()), v.data.size())};
}
inline Param to_param(std::nullopt_t) { return {.is_null = true}; }
template <class T>
Param to_param(const std::optional<T>& v) {
    if (!v) {
        Param p = to_param(T{});
        p.is_null = true;
        p.value.clear();
        return p;
    }
    return to_param(*v);
}

/// Encodes a list of C++ values as statement parameters ($1, $2, ...).
template <class... Args>
std::vector<Param> params(const Args&... args) {
    std::vector<Param> out;
    out.reserve(sizeof...(Args));
    (out.push_back(to_param(args)), ...);
    return out;
}

}  // namespace ucm::pg
