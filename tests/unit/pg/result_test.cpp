// Result conversions, on PGresults built in memory with libpq's own PQsetResultAttrs/PQsetvalue.
#include "pg/libpq_handle.hpp"

#include <ucm/pg/param.hpp>
#include <ucm/pg/result.hpp>

#include <gtest/gtest.h>

namespace ucm::pg {
namespace {

struct Column {
    const char* name;
    unsigned type;
    const char* value;  // nullptr = SQL NULL
};

Result one_row(std::initializer_list<Column> columns) {
    PgResultPtr r(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
    std::vector<PGresAttDesc> attrs;
    for (const auto& c : columns) {
        attrs.push_back(PGresAttDesc{.name = const_cast<char*>(c.name), .tableid = 0, .columnid = 0,
                                     .format = 0, .typid = c.type, .typlen = -1, .atttypmod = -1});
    }
    PQsetResultAttrs(r.get(), static_cast<int>(attrs.size()), attrs.data());
    int i = 0;
    for (const auto& c : columns) {
        PQsetvalue(r.get(), 0, i++, const_cast<char*>(c.value), c.value ? static_cast<int>(strlen(c.value)) : -1);
    }
    return make_result(std::move(r));
}

TEST(PgResult, ReadsTypedValuesByNameAndIndex) {
    auto r = one_row({{"id", oid::kInt8, "42"}, {"name", oid::kText, "ada"}, {"ok", oid::kBool, "t"},
                      {"x", oid::kFloat8, "1.5"}});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].get<std::int64_t>("id"), 42);
    EXPECT_EQ(r[0].get<std::string>(1), "ada");
    EXPECT_TRUE(r[0].get<bool>("ok"));
    EXPECT_DOUBLE_EQ(r[0].get<double>("x"), 1.5);
}

TEST(PgResult, NullIntoOptionalIsNullopt) {
    auto r = one_row({{"v", oid::kText, nullptr}});
    EXPECT_EQ(r[0].get<std::optional<std::string>>(0), std::nullopt);
}

TEST(PgResult, NullIntoNonOptionalNamesTheColumn) {
    auto r = one_row({{"maybe", oid::kInt4, nullptr}});
    try {
        (void)r[0].get<std::int32_t>("maybe");
        FAIL() << "no exception";
    } catch (const ConversionError& e) {
        EXPECT_NE(std::string(e.what()).find("\"maybe\""), std::string::npos) << e.what();
    }
}

TEST(PgResult, TextColumnReadAsIntegerIsATypeMismatch) {
    auto r = one_row({{"name", oid::kText, "12"}});
    EXPECT_THROW((void)r[0].get<std::int64_t>(0), ConversionError);
}

TEST(PgResult, BigintThatDoesNotFitInt16IsOutOfRange) {
    auto r = one_row({{"n", oid::kInt8, "70000"}});
    EXPECT_THROW((void)r[0].get<std::int16_t>(0), ConversionError);
    EXPECT_EQ(r[0].get<std::int32_t>(0), 70000);
}

TEST(PgResult, UnknownColumnAndBadIndexAreOutOfRange) {
    auto r = one_row({{"a", oid::kInt4, "1"}});
    EXPECT_THROW((void)r[0].get<std::int32_t>("b"), std::out_of_range);
    EXPECT_THROW((void)r[0].get<std::int32_t>(3), std::out_of_range);
    EXPECT_THROW((void)r.at(1), std::out_of_range);
}

TEST(PgResult, ByteaHexIsDecoded) {
    auto r = one_row({{"b", oid::kBytea, "\\x00ff10"}});
    auto bytes = r[0].get<std::vector<std::byte>>(0);
    ASSERT_EQ(bytes.size(), 3u);
    EXPECT_EQ(bytes[1], std::byte{0xff});
}

TEST(PgParam, EncodesTypedValuesAndNull) {
    auto ps = params(std::int64_t{-5}, 2.5, true, std::string_view("x"), std::optional<std::int32_t>{});
    ASSERT_EQ(ps.size(), 5u);
    EXPECT_EQ(ps[0].value, "-5");
    EXPECT_EQ(ps[0].type_oid, oid::kInt8);
    EXPECT_EQ(ps[1].value, "2.5");
    EXPECT_EQ(ps[2].value, "t");
    EXPECT_EQ(ps[3].type_oid, oid::kText);
    EXPECT_TRUE(ps[4].is_null);
    EXPECT_EQ(ps[4].type_oid, oid::kInt4);
}

}  // namespace
}  // namespace ucm::pg
