#include "pg/libpq_handle.hpp"

#include <ucm/pg/param.hpp>
#include <ucm/pg/result.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace ucm::pg {
namespace {

const PGresult* raw_result(const std::shared_ptr<const Result::Data>& data) {
    return data ? data->result.get() : nullptr;
}

int to_int(std::size_t value, std::size_t limit, const char* what) {
    if (value >= limit) {
        throw std::out_of_range(fmt::format("{} {} out of range (the result has {})", what, value, limit));
    }
    return static_cast<int>(value);
}

bool is_integer_oid(unsigned type) {
    return type == oid::kInt2 || type == oid::kInt4 || type == oid::kInt8 || type == 26 /* oid */;
}

std::string type_name(unsigned type) {
    switch (type) {
        case oid::kBool: return "boolean";
        case oid::kBytea: return "bytea";
        case oid::kInt8: return "bigint";
        case oid::kInt2: return "smallint";
        case oid::kInt4: return "integer";
        case oid::kText: return "text";
        case 700: return "real";
        case oid::kFloat8: return "double precision";
        case 1700: return "numeric";
        case 1043: return "varchar";
        default: return fmt::format("type oid {}", type);
    }
}

}  // namespace

std::size_t Result::size() const noexcept {
    const auto* r = raw_result(data_);
    return r ? static_cast<std::size_t>(PQntuples(r)) : 0;
}

std::size_t Result::columns() const noexcept {
    const auto* r = raw_result(data_);
    return r ? static_cast<std::size_t>(PQnfields(r)) : 0;
}

std::string_view Result::column_name(std::size_t column) const {
    return PQfname(raw_result(data_), to_int(column, columns(), "column"));
}

std::size_t Result::column_index(std::string_view name) const {
    for (std::size_t i = 0; i < columns(); ++i) {
        if (column_name(i) == name) return i;
    }
    throw std::out_of_range(fmt::format("no column named \"{}\" in the result", name));
}

unsigned Result::column_type(std::size_t column) const {
    return PQftype(raw_result(data_), to_int(column, columns(), "column"));
}

std::uint64_t Result::affected_rows() const noexcept {
    const auto* r = raw_result(data_);
    if (r == nullptr) return 0;
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(r));
    std::uint64_t n = 0;
    std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), n);
    return n;
}

std::string_view Result::command_tag() const noexcept {
    const auto* r = raw_result(data_);
    return r ? PQcmdStatus(const_cast<PGresult*>(r)) : "";
}

std::optional<std::string_view> Result::raw(std::size_t row, std::size_t column) const {
    const auto* r = raw_result(data_);
    const int ri = to_int(row, size(), "row");
    const int ci = to_int(column, columns(), "column");
    if (PQgetisnull(r, ri, ci) != 0) return std::nullopt;
    return std::string_view(PQgetvalue(r, ri, ci), static_cast<std::size_t>(PQgetlength(r, ri, ci)));
}

Row Result::operator[](std::size_t row) const { return Row(*this, row); }

Row Result::at(std::size_t row) const {
    to_int(row, size(), "row");
    return Row(*this, row);
}

Result::Iterator Result::begin() const noexcept { return Iterator(this, 0); }
Result::Iterator Result::end() const noexcept { return Iterator(this, size()); }

std::string Row::describe(std::size_t column) const {
    return fmt::format("column \"{}\" ({}) of row {}", result_.column_name(column),
                       type_name(result_.column_type(column)), index_);
}

namespace detail {

std::int64_t parse_int(std::string_view text, unsigned type_oid, std::int64_t min, std::int64_t max,
                       const Row& row, std::size_t column) {
    if (!is_integer_oid(type_oid)) {
        throw ConversionError(fmt::format("{} cannot be read as an integer", row.describe(column)));
    }
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range || (ec == std::errc{} && (value < min || value > max))) {
        throw ConversionError(fmt::format("{}: value {} does not fit the requested integer type", row.describe(column), text));
    }
    if (ec != std::errc{} || end != text.data() + text.size()) {
        throw ConversionError(fmt::format("{}: \"{}\" is not an integer", row.describe(column), text));
    }
    return value;
}

double parse_double(std::string_view text, unsigned type_oid, const Row& row, std::size_t column) {
    if (!is_integer_oid(type_oid) && type_oid != 700 && type_oid != oid::kFloat8 && type_oid != 1700) {
        throw ConversionError(fmt::format("{} cannot be read as a double", row.describe(column)));
    }
    if (text == "NaN") return std::nan("");
    if (text == "Infinity") return HUGE_VAL;
    if (text == "-Infinity") return -HUGE_VAL;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        throw ConversionError(fmt::format("{}: \"{}\" is not a number", row.describe(column), text));
    }
    return value;
}

bool parse_bool(std::string_view text, unsigned type_oid, const Row& row, std::size_t column) {
    if (type_oid != oid::kBool) throw ConversionError(fmt::format("{} cannot be read as a bool", row.describe(column)));
    return text == "t";
}

std::vector<std::byte> parse_bytea(std::string_view text, const Row& row, std::size_t column) {
    // Servers since 9.0 send bytea as "\x" followed by hex digits (bytea_output = hex).
    if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
        throw ConversionError(fmt::format("{} is not bytea in hex format", row.describe(column)));
    }
    std::vector<std::byte> out;
    out.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i < text.size(); i += 2) {
        unsigned byte = 0;
        auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, byte, 16);
        if (ec != std::errc{} || end != text.data() + i + 2) {
            throw ConversionError(fmt::format("{} holds an invalid hex digit", row.describe(column)));
        }
        out.push_back(static_cast<std::byte>(byte));
    }
    return out;
}

void throw_null(const Row& row, std::size_t column) {
    throw ConversionError(fmt::format("{} is NULL; read it as std::optional<T>", row.describe(column)));
}

std::string double_to_text(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    (void)ec;  // 32 bytes hold the shortest round-trip form of any double
    return {buffer, end};
}

}  // namespace detail
}  // namespace ucm::pg
