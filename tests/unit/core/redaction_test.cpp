// A distinctive password fed through every error path and every printer: it must never come out.
// The oracle is its fragment "S3CRET", so a partial leak (the tail after a mistyped '/') fails too.
#include "core/config_toml.hpp"
#include "core/redact.hpp"
#include "core/secret_format.hpp"

#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace {

using testing::HasSubstr;
using testing::Not;

constexpr std::string_view kPassword = "hunter2-S3CRET";
constexpr std::string_view kFragment = "S3CRET";

ucm::EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>{it->second};
    };
}

// The message of the ConfigInvalid that loading `toml` must raise.
std::string load_error(const std::string& toml, const ucm::EnvLookup& env = ucm::no_env()) {
    try {
        (void)ucm::load_config_string(toml, env);
    } catch (const ucm::ConfigInvalid& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected ConfigInvalid for:\n" << toml;
    return {};
}

std::string pg(const std::string& body) { return "[postgres]\n" + body + "\n"; }
std::string with_password(std::string_view pattern) {
    std::string text{pattern};
    text.replace(text.find("PW"), 2, kPassword);
    return text;
}

TEST(Redaction, BadUriQueryWithPasswordIsNotQuoted) {
    const std::string message =
        load_error(pg(with_password("uri = \"postgresql://app:PW@db:5432/app?sslmode=bogus\"")));
    EXPECT_THAT(message, HasSubstr("postgres.uri"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, BadPortInUriWithPasswordIsNotQuoted) {
    const std::string message = load_error(pg(with_password("uri = \"postgresql://app:PW@db:99999/app\"")));
    EXPECT_THAT(message, HasSubstr("port must be"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, UnencodedSlashInPasswordDoesNotLeakItsTail) {
    // The authority ends at the '/', so "pass" becomes a port and the tail slides into the path.
    const std::string message = load_error(pg(with_password("uri = \"postgresql://app:pass/PW@db/app\"")));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
    EXPECT_THAT(message, Not(HasSubstr("pass")));
}

TEST(Redaction, UnencodedSlashWithNumericHeadDoesNotLeakThroughTheDatabaseName) {
    const std::string message = load_error(pg(with_password("uri = \"postgresql://app:5432/PW@db/app\"")));
    EXPECT_THAT(message, HasSubstr("percent-encode"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, BadPercentEncodingInPasswordIsNotQuoted) {
    const std::string message = load_error(pg(with_password("uri = \"postgresql://app:PW%zz@db/app\"")));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, ConninfoWithBadPortIsNotQuoted) {
    const std::string message = load_error(pg(with_password("uri = \"host=db password=PW port=notaport\"")));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, ConninfoWithMissingEqualsIsNotQuoted) {
    const std::string message = load_error(pg(with_password("uri = \"host=db password PW\"")));
    EXPECT_THAT(message, HasSubstr("expected '='"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, ConninfoWithUnterminatedQuoteIsNotQuoted) {
    const std::string message = load_error(pg(with_password("uri = \"host=db password='PW\"")));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, ConninfoWithUnknownKeywordIsNotQuoted) {
    // A password pasted as a keyword: "PW=1".
    const std::string message = load_error(pg(with_password("uri = \"host=db PW=1\"")));
    EXPECT_THAT(message, HasSubstr("unknown keyword #2 at character 9"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, UnknownKeyNextToPasswordKey) {
    const std::string message =
        load_error(pg(with_password("hosts = [\"db\"]\npassword = \"PW\"\npasword_file = \"/x\"")));
    EXPECT_THAT(message, HasSubstr("postgres.pasword_file: unknown key"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, ConflictingPasswordSourcesNameKeysOnly) {
    const std::string message =
        load_error(pg(with_password("hosts = [\"db\"]\npassword = \"PW\"\npassword_env = \"X\"")));
    EXPECT_THAT(message, HasSubstr("conflicts with"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, WrongTypeOfPasswordIsNotQuoted) {
    const std::string message = load_error(pg(with_password("hosts = [\"db\"]\npassword = [\"PW\"]")));
    EXPECT_EQ(message, "postgres.password: expected a string, got an array");
}

TEST(Redaction, UnquotedPasswordSyntaxErrorHasPositionButNoText) {
    const std::string message = load_error(pg(with_password("password = PW")));
    EXPECT_THAT(message, HasSubstr("<string>:2:"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, UnterminatedPasswordStringIsNotQuoted) {
    EXPECT_THAT(load_error(pg(with_password("password = \"PW"))), Not(HasSubstr(kFragment)));
}

TEST(Redaction, BadEscapeInPasswordStringIsNotQuoted) {
    EXPECT_THAT(load_error(pg(with_password("password = \"PW\\q\""))), Not(HasSubstr(kFragment)));
}

TEST(Redaction, TrailingGarbageAfterPasswordIsNotQuoted) {
    EXPECT_THAT(load_error(pg(with_password("password = \"x\" PW"))), Not(HasSubstr(kFragment)));
}

TEST(Redaction, NumericPasswordSyntaxErrorIsNotQuoted) {
    // toml++ quotes the whole number it could not represent.
    const std::string message = load_error(pg("password = 1234567890123456789012345"));
    EXPECT_THAT(message, Not(HasSubstr("1234567890")));
}

TEST(Redaction, InlineTablePasswordSyntaxErrorIsNotQuoted) {
    EXPECT_THAT(load_error(with_password("postgres = { password = PW }\n")), Not(HasSubstr(kFragment)));
}

TEST(Redaction, TomlDescriptionsLoseQuotedSourceText) {
    EXPECT_EQ(ucm::detail::scrub_toml_description("'1e999' could not be interpreted as a value"),
              "'...' could not be interpreted as a value");
    EXPECT_EQ(ucm::detail::scrub_toml_description("expected '=', saw '\\n'"), "expected '=', saw '\\n'");
    EXPECT_EQ(ucm::detail::scrub_toml_description("expected comma, saw 'h'"), "expected comma, saw '...'");
    EXPECT_EQ(ucm::detail::scrub_toml_description("expected month, saw 99"), "expected month, saw ...");
}

TEST(Redaction, BadRedisUrlWithPasswordIsNotQuoted) {
    const std::string message =
        load_error(pg("hosts = [\"db\"]") + with_password("[redis]\nurl = \"redis://:PW@cache:0/1\"\n"));
    EXPECT_THAT(message, HasSubstr("redis.url"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, RedissWithPasswordIsNotQuoted) {
    EXPECT_THAT(load_error(pg("hosts = [\"db\"]") + with_password("[redis]\nurl = \"rediss://:PW@cache\"\n")),
                Not(HasSubstr(kFragment)));
}

TEST(Redaction, RedisUrlWithSlashInPasswordIsNotQuoted) {
    EXPECT_THAT(
        load_error(pg("hosts = [\"db\"]") + with_password("[redis]\nurl = \"redis://:a/PW@cache\"\n")),
        Not(HasSubstr(kFragment)));
}

TEST(Redaction, BadUriFromEnvironmentIsNotQuoted) {
    const std::string message =
        load_error(pg("hosts = [\"db\"]"),
                   env_of({{"UCM_POSTGRES_URI", with_password("postgresql://app:PW@db:0/app")}}));
    EXPECT_THAT(message, HasSubstr("UCM_POSTGRES_URI"));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

TEST(Redaction, BadRedisUrlFromEnvironmentIsNotQuoted) {
    EXPECT_THAT(
        load_error(pg("hosts = [\"db\"]"), env_of({{"UCM_REDIS_URL", with_password("redis://:PW@c:x")}})),
        Not(HasSubstr(kFragment)));
}

TEST(Redaction, ValidationErrorAfterPasswordLoadedIsClean) {
    const std::string message =
        load_error(pg(with_password("hosts = [\"db\"]\npassword = \"PW\"\nconnect_timeout = \"0s\"")));
    EXPECT_THAT(message, Not(HasSubstr(kFragment)));
}

ucm::Config config_with_every_secret() {
    const std::string pw{kPassword};
    return ucm::load_config_string(
        "[postgres]\nhosts = [\"db\"]\npassword = \"" + pw + "\"\nsslpassword = \"" + pw +
            "\"\n[postgres.roles.admin]\nuser = \"dba\"\npassword_env = \"DBA_PW\"\n"
            "[redis]\nsentinels = [\"s1\"]\nmaster_name = \"m\"\nsentinel_password = \"" +
            pw + "\"\n",
        env_of({{"DBA_PW", pw}, {"UCM_REDIS_PASSWORD", pw}}));
}

TEST(Redaction, SummaryShowsStarsForEverySecret) {
    const std::string summary = ucm::summarize(config_with_every_secret());
    EXPECT_THAT(summary, HasSubstr("password=***"));
    EXPECT_THAT(summary, Not(HasSubstr(kFragment)));
}

TEST(Redaction, DescribeShowsStarsForEverySecret) {
    const std::string text = ucm::describe(config_with_every_secret());
    EXPECT_THAT(text, HasSubstr("password = \"***\""));
    EXPECT_THAT(text, HasSubstr("sentinel_password = \"***\""));
    EXPECT_THAT(text, HasSubstr("password_env = \"DBA_PW\""));
    EXPECT_THAT(text, Not(HasSubstr(kFragment)));
}

TEST(Redaction, SecretStreamsAsStars) {
    std::ostringstream out;
    out << ucm::Secret{std::string{kPassword}};
    EXPECT_EQ(out.str(), "***");
}

TEST(Redaction, SecretFormatsAsStars) {
    EXPECT_EQ(fmt::format("pw={}", ucm::Secret{std::string{kPassword}}), "pw=***");
}

TEST(Redaction, SecretStillRevealsOnRequest) {
    EXPECT_EQ(ucm::Secret{std::string{kPassword}}.reveal(), kPassword);
}

TEST(Redact, ReplacesEveryOccurrence) {
    EXPECT_EQ(ucm::detail::redact("a hunter2 b hunter2", {"hunter2"}), "a *** b ***");
}

TEST(Redact, ReplacesTheLongerSecretWhole) {
    EXPECT_EQ(ucm::detail::redact("pw=hunter2-S3CRET", {"hunter2", kPassword}), "pw=***");
}

TEST(Redact, IgnoresEmptySecrets) {
    EXPECT_EQ(ucm::detail::redact("nothing to hide", {"", "x-not-there"}), "nothing to hide");
}

TEST(Redact, LeavesTextWithoutSecretsAlone) {
    EXPECT_EQ(ucm::detail::redact("FATAL: password authentication failed", {kPassword}),
              "FATAL: password authentication failed");
}

}  // namespace
