#include "core/pg_uri.hpp"

#include "core/pg_conninfo.hpp"

#include <ucm/core/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using ucm::Endpoint;
using ucm::PgOptions;

PgOptions from(std::string_view text) {
    PgOptions options;
    (void)ucm::detail::apply_pg_connection_string(text, options, "postgres.uri");
    return options;
}

std::string error_of(std::string_view text) {
    try {
        (void)from(text);
    } catch (const ucm::ConfigInvalid& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected ConfigInvalid";
    return {};
}

TEST(PgUri, ParsesUserPasswordHostPortAndDatabase) {
    const PgOptions pg = from("postgresql://app:pw@db.example:6432/orders");
    EXPECT_EQ(pg.user, "app");
    EXPECT_EQ(pg.password.reveal(), "pw");
    EXPECT_EQ(pg.hosts, (std::vector<Endpoint>{{"db.example", 6432}}));
    EXPECT_EQ(pg.dbname, "orders");
}

TEST(PgUri, AcceptsThePostgresScheme) { EXPECT_EQ(from("postgres://db/app").dbname, "app"); }

TEST(PgUri, ParsesSeveralHostsWithDefaultPorts) {
    EXPECT_EQ(from("postgresql://h1:5433,h2,h3:5435/app").hosts,
              (std::vector<Endpoint>{{"h1", 5433}, {"h2", 5432}, {"h3", 5435}}));
}

TEST(PgUri, ParsesBracketedIpv6Hosts) {
    EXPECT_EQ(from("postgresql://[::1]:5433,[fe80::2]/app").hosts,
              (std::vector<Endpoint>{{"::1", 5433}, {"fe80::2", 5432}}));
}

TEST(PgUri, PercentDecodesEveryPart) {
    const PgOptions pg = from("postgresql://us%40r:p%2Fw%3A@db/my%20db?application_name=a%26b");
    EXPECT_EQ(pg.user, "us@r");
    EXPECT_EQ(pg.password.reveal(), "p/w:");
    EXPECT_EQ(pg.dbname, "my db");
    EXPECT_EQ(pg.application_name, "a&b");
}

TEST(PgUri, UnencodedAtInPasswordStillParses) {
    const PgOptions pg = from("postgresql://app:p@ss@db/app");
    EXPECT_EQ(pg.password.reveal(), "p@ss");
    EXPECT_EQ(pg.hosts, (std::vector<Endpoint>{{"db", 5432}}));
}

TEST(PgUri, MapsQueryParameters) {
    const PgOptions pg = from(
        "postgresql://db/app?sslmode=verify-full&application_name=api&target_session_attrs=read-write"
        "&connect_timeout=3&sslrootcert=/etc/ca.pem");
    EXPECT_EQ(pg.sslmode, ucm::SslMode::VerifyFull);
    EXPECT_EQ(pg.application_name, "api");
    EXPECT_EQ(pg.connect_timeout, 3s);
    EXPECT_EQ(pg.sslrootcert, "/etc/ca.pem");
}

TEST(PgUri, UserWithoutPasswordLeavesPasswordEmpty) {
    const PgOptions pg = from("postgresql://app@db/app");
    EXPECT_EQ(pg.user, "app");
    EXPECT_TRUE(pg.password.empty());
}

TEST(PgUri, WrongSchemeIsRejected) {
    EXPECT_THAT(error_of("mysql://db/app"), HasSubstr("postgres.uri: expected a postgresql:// URI"));
}

TEST(PgUri, PortZeroIsRejected) {
    EXPECT_THAT(error_of("postgresql://db:0/app"),
                HasSubstr("postgres.uri host #1: port must be a number in 1..65535"));
}

TEST(PgUri, PortAboveRangeIsRejected) {
    EXPECT_THAT(error_of("postgresql://h1,h2:70000/app"), HasSubstr("host #2: port must be"));
}

TEST(PgUri, EmptyHostInListIsRejected) {
    EXPECT_THAT(error_of("postgresql://h1,,h2/app"), HasSubstr("host #2: empty host"));
}

TEST(PgUri, BadPercentEncodingIsRejected) {
    EXPECT_THAT(error_of("postgresql://app:pw%zz@db/app"),
                HasSubstr("malformed percent-encoding in the password"));
}

TEST(PgUri, UnknownQueryParameterIsRejectedByPosition) {
    EXPECT_THAT(error_of("postgresql://db/app?sslmode=require&colour=blue"),
                HasSubstr("unknown query parameter #2"));
}

TEST(PgUri, UnsupportedLibpqParameterIsNamed) {
    EXPECT_THAT(error_of("postgresql://db/app?options=-cfoo%3Dbar"), HasSubstr("'options' is not supported"));
}

TEST(PgUri, QueryParameterWithoutValueIsRejected) {
    EXPECT_THAT(error_of("postgresql://db/app?sslmode"), HasSubstr("query parameter #1 is not key=value"));
}

TEST(PgUri, BadSslmodeListsTheValidOnes) {
    EXPECT_THAT(error_of("postgresql://db/app?sslmode=maybe"), HasSubstr("verify-full"));
}

TEST(PgUri, BadTargetSessionAttrsIsRejected) {
    EXPECT_THAT(error_of("postgresql://db/app?target_session_attrs=leader"),
                HasSubstr("target_session_attrs"));
}

TEST(PgUri, ZeroConnectTimeoutIsRejected) {
    EXPECT_THAT(error_of("postgresql://db/app?connect_timeout=0"), HasSubstr("connect_timeout"));
}

TEST(PgUri, SlashInDatabaseNameIsRejected) {
    EXPECT_THAT(error_of("postgresql://db/a/b"), HasSubstr("percent-encode"));
}

TEST(PgUri, FragmentIsRejected) { EXPECT_THAT(error_of("postgresql://db/app#x"), HasSubstr("fragment")); }

TEST(PgConninfo, ParsesBareAndQuotedValues) {
    const PgOptions pg = from("host=db port=6432 dbname = app user=app password='it\\'s a pw'");
    EXPECT_EQ(pg.hosts, (std::vector<Endpoint>{{"db", 6432}}));
    EXPECT_EQ(pg.dbname, "app");
    EXPECT_EQ(pg.password.reveal(), "it's a pw");
}

TEST(PgConninfo, BackslashEscapesInBareValues) {
    EXPECT_EQ(from("host=db password=a\\ b").password.reveal(), "a b");
}

TEST(PgConninfo, PairsHostAndPortLists) {
    EXPECT_EQ(from("host=h1,h2,::1 port=5433,,5435").hosts,
              (std::vector<Endpoint>{{"h1", 5433}, {"h2", 5432}, {"::1", 5435}}));
}

TEST(PgConninfo, OnePortAppliesToEveryHost) {
    EXPECT_EQ(from("host=h1,h2 port=6432").hosts, (std::vector<Endpoint>{{"h1", 6432}, {"h2", 6432}}));
}

TEST(PgConninfo, MismatchedPortCountIsRejected) {
    EXPECT_THAT(error_of("host=h1,h2,h3 port=1,2"), HasSubstr("gives 2 ports for 3 hosts"));
}

TEST(PgConninfo, MissingEqualsIsRejectedWithPosition) {
    EXPECT_THAT(error_of("host=db dbname app"),
                HasSubstr("expected '=' after the keyword starting at character 9"));
}

TEST(PgConninfo, UnterminatedQuoteIsRejected) {
    EXPECT_THAT(error_of("host=db password='abc"), HasSubstr("unterminated quoted value"));
}

TEST(PgConninfo, PortWithoutHostIsRejected) {
    EXPECT_THAT(error_of("port=5432 dbname=app"), HasSubstr("gives a port but no host"));
}

TEST(PgConninfo, TextThatIsNeitherFormIsRejected) {
    EXPECT_THAT(error_of("just-some-text"),
                HasSubstr("expected a postgresql:// URI or a key=value conninfo"));
}

}  // namespace
