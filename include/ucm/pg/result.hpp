#pragma once

#include <ucm/export.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ucm::pg {

class Row;

/// A value could not be converted as asked: NULL into a non-optional, a text column read as an
/// integer, an out-of-range number. The message names the column and both types.
class UCM_EXPORT ConversionError : public std::domain_error {
public:
    using std::domain_error::domain_error;
};

/// The rows and status of one statement. Values are kept in PostgreSQL's text format and converted
/// on access (`row.get<std::int64_t>("id")`).
///
/// Errors: std::out_of_range for a bad row/column index or an unknown column name;
/// ConversionError for NULL into a non-optional, a type mismatch or an out-of-range number.
/// Thread safety: immutable, safe to share. Lifetime: string_views it hands out live as long as
/// any copy of the Result.
class UCM_EXPORT Result {
public:
    struct Data;  // owns the PGresult; defined in src/pg
    Result() = default;
    explicit Result(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

    [[nodiscard]] std::size_t size() const noexcept;       ///< number of rows
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] std::size_t columns() const noexcept;
    [[nodiscard]] std::string_view column_name(std::size_t column) const;
    [[nodiscard]] std::size_t column_index(std::string_view name) const;
    [[nodiscard]] unsigned column_type(std::size_t column) const;  ///< type OID
    /// Rows affected by INSERT/UPDATE/DELETE/...; 0 when the command reports none.
    [[nodiscard]] std::uint64_t affected_rows() const noexcept;
    /// The command tag, e.g. "INSERT 0 1", "COMMIT", "ROLLBACK".
    [[nodiscard]] std::string_view command_tag() const noexcept;
    /// The raw text of a value, or nullopt for SQL NULL.
    [[nodiscard]] std::optional<std::string_view> raw(std::size_t row, std::size_t column) const;

    [[nodiscard]] Row operator[](std::size_t row) const;
    [[nodiscard]] Row at(std::size_t row) const;  ///< checks the index

    class Iterator;
    [[nodiscard]] Iterator begin() const noexcept;
    [[nodiscard]] Iterator end() const noexcept;

private:
    std::shared_ptr<const Data> data_;
};

namespace detail {
// Text → value conversions; each throws ConversionError naming the column (row.describe) on failure.
UCM_EXPORT std::int64_t parse_int(std::string_view text, unsigned type_oid, std::int64_t min,
                                  std::int64_t max, const Row& row, std::size_t column);
UCM_EXPORT double parse_double(std::string_view text, unsigned type_oid, const Row& row, std::size_t column);
UCM_EXPORT bool parse_bool(std::string_view text, unsigned type_oid, const Row& row, std::size_t column);
UCM_EXPORT std::vector<std::byte> parse_bytea(std::string_view text, const Row& row, std::size_t column);
[[noreturn]] UCM_EXPORT void throw_null(const Row& row, std::size_t column);

template <class T>
struct FromText;
template <class T>
    requires std::is_integral_v<T> && std::is_signed_v<T>
struct FromText<T> {
    static T convert(std::string_view text, unsigned oid, const Row& row, std::size_t column) {
        return static_cast<T>(parse_int(text, oid, static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                                        static_cast<std::int64_t>(std::numeric_limits<T>::max()), row, column));
    }
};
template <>
struct FromText<bool> {
    static bool convert(std::string_view t, unsigned oid, const Row& row, std::size_t column) { return parse_bool(t, oid, row, column); }
};
template <>
struct FromText<double> {
    static double convert(std::string_view t, unsigned oid, const Row& row, std::size_t column) {
        return parse_double(t, oid, row, column);
    }
};
template <>
struct FromText<std::string> {
    static std::string convert(std::string_view t, unsigned, const Row&, std::size_t) { return std::string(t); }
};
template <>
struct FromText<std::string_view> {
    static std::string_view convert(std::string_view t, unsigned, const Row&, std::size_t) { return t; }
};
template <>
struct FromText<std::vector<std::byte>> {
    static std::vector<std::byte> convert(std::string_view t, unsigned, const Row& row, std::size_t column) {
        return parse_bytea(t, row, column);
    }
};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

/// One row of a Result. It shares the Result's data, so `auto row = conn.execute(...)[0];` stays
/// valid after the temporary Result is gone. Thread safety: as Result.
class UCM_EXPORT Row {
public:
    Row(Result result, std::size_t index) noexcept : result_(std::move(result)), index_(index) {}

    [[nodiscard]] std::size_t index() const noexcept { return index_; }
    [[nodiscard]] std::optional<std::string_view> raw(std::size_t column) const {
        return result_.raw(index_, column);
    }
    [[nodiscard]] bool is_null(std::size_t column) const { return !raw(column).has_value(); }

    /// The value of a column converted to T; T = std::optional<U> maps NULL to nullopt.
    template <class T>
    [[nodiscard]] T get(std::size_t column) const {
        auto text = raw(column);
        if constexpr (detail::IsOptional<T>::value) {
            if (!text) return std::nullopt;
            return detail::FromText<typename T::value_type>::convert(*text, result_.column_type(column), *this, column);
        } else {
            if (!text) detail::throw_null(*this, column);
            return detail::FromText<T>::convert(*text, result_.column_type(column), *this, column);
        }
    }
    template <class T>
    [[nodiscard]] T get(std::string_view column) const {
        return get<T>(result_.column_index(column));
    }

    /// "column \"id\" (bigint) of row 3", for error messages.
    [[nodiscard]] std::string describe(std::size_t column) const;

private:
    Result result_;
    std::size_t index_;
};

class Result::Iterator {
public:
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const Result* r, std::size_t i) noexcept : result_(r), index_(i) {}
    Row operator*() const noexcept { return Row(*result_, index_); }
    Iterator& operator++() noexcept { ++index_; return *this; }
    Iterator operator++(int) noexcept { auto copy = *this; ++index_; return copy; }
    bool operator==(const Iterator& other) const noexcept { return index_ == other.index_; }

private:
    const Result* result_ = nullptr;
    std::size_t index_ = 0;
};

}  // namespace ucm::pg
