// The libpq state machine and its poll() driver against the shared sandbox's primary.
#include "core/pg_uri.hpp"
#include "pg/conninfo.hpp"
#include "pg/pg_wait_poll.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/core/error.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace ucm::pg {
namespace {

using namespace std::chrono_literals;

PgOptions primary_options() {
    PgOptions options;
    ucm::detail::apply_pg_connection_string(test::sandbox_env().pg_primary, options, "UCM_TEST_PG_PRIMARY");
    return options;
}

PgConnection connect(const PgOptions& options, const SessionFlavor& flavor = {.application_name = "ucm/itest"}) {
    const auto deadline = deadline_after(10s);
    return connect_blocking(make_connect_spec(options, options.hosts.at(0), flavor, deadline), deadline);
}

Result exec(PgConnection& conn, std::string_view sql, const std::vector<Param>& ps = {}) {
    return exec_blocking(conn, sql, ps, deadline_after(10s));
}

TEST(PgConnection, RunsATypedQuery) {
    auto conn = connect(primary_options());
    auto r = exec(conn, "SELECT $1::bigint + 1 AS n, $2::text AS s, $3::bool AS b, $4::int AS missing",
                  params(std::int64_t{41}, std::string_view("x"), true, std::optional<std::int32_t>{}));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].get<std::int64_t>("n"), 42);
    EXPECT_EQ(r[0].get<std::string>("s"), "x");
    EXPECT_TRUE(r[0].get<bool>("b"));
    EXPECT_EQ(r[0].get<std::optional<std::int32_t>>("missing"), std::nullopt);
}

TEST(PgConnection, BadSqlIsQueryFailedWith42601AndTheConnectionStaysUsable) {
    auto conn = connect(primary_options());
    try {
        exec(conn, "SELEC 1");
        FAIL() << "no exception";
    } catch (const QueryFailed& e) {
        EXPECT_EQ(e.sqlstate(), "42601");
        EXPECT_FALSE(e.poisons_connection());
    }
    EXPECT_TRUE(conn.is_alive_and_idle());
    EXPECT_EQ(exec(conn, "SELECT 7")[0].get<std::int32_t>(0), 7);
}

TEST(PgConnection, WrongPasswordIsAuthFailedAndThePasswordIsNeverShown) {
    auto admin = connect(primary_options());
    exec(admin, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ucm_itest_pw') THEN "
                "CREATE ROLE ucm_itest_pw LOGIN PASSWORD 'the-right-one'; END IF; END $$");
    auto options = primary_options();
    options.user = "ucm_itest_pw";
    options.password = Secret("hunter2-WRONG-S3CRET");
    try {
        connect(options);
        FAIL() << "no exception";
    } catch (const AuthFailed& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2-WRONG-S3CRET"), std::string::npos) << e.what();
        EXPECT_FALSE(e.retriable());
    }
    options.password = Secret("the-right-one");
    auto ok = connect(options);
    EXPECT_EQ(exec(ok, "SELECT current_user")[0].get<std::string>(0), "ucm_itest_pw");
}

TEST(PgConnection, MissedDeadlineClosesTheConnectionAndRaisesDeadlineExceeded) {
    auto conn = connect(primary_options());
    EXPECT_THROW(exec_blocking(conn, "SELECT pg_sleep(30)", {}, deadline_after(200ms)), DeadlineExceeded);
    EXPECT_TRUE(conn.is_bad());
    EXPECT_FALSE(conn.is_alive_and_idle());
}

TEST(PgConnection, TerminatedIdleBackendIsSeenByTheLivenessCheckWithoutARoundTrip) {
    auto victim = connect(primary_options());
    const int pid = victim.backend_pid();
    auto admin = connect(primary_options());
    exec(admin, "SELECT pg_terminate_backend($1, 5000)", params(std::int32_t{pid}));
    EXPECT_FALSE(victim.is_alive_and_idle());
}

TEST(PgConnection, ReadOnlySessionRejectsWritesWith25006) {
    auto options = primary_options();
    auto conn = connect(options, {.application_name = "ucm/itest", .read_only = true});
    try {
        exec(conn, "CREATE TEMP TABLE ucm_ro_probe(x int)");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::read_only_violation);
        EXPECT_EQ(e.sqlstate(), "25006");
    }
}

TEST(PgConnection, ChangedResultTypeDropsTheCachedPlanAndTheRetrySucceeds) {
    auto conn = connect(primary_options());
    exec(conn, "DROP TABLE IF EXISTS ucm_plan_probe");
    exec(conn, "CREATE TABLE ucm_plan_probe(a int)");
    exec(conn, "SELECT * FROM ucm_plan_probe");
    exec(conn, "ALTER TABLE ucm_plan_probe ADD COLUMN b int");
    bool threw = false;
    try {
        exec(conn, "SELECT * FROM ucm_plan_probe");
    } catch (const QueryFailed& e) {
        threw = true;
        EXPECT_EQ(e.sqlstate(), "0A000");
    }
    EXPECT_TRUE(threw) << "the server kept the stale plan";
    EXPECT_EQ(exec(conn, "SELECT * FROM ucm_plan_probe").columns(), 2u);
    exec(conn, "DROP TABLE ucm_plan_probe");
}

TEST(PgConnection, ApplicationNameIsVisibleInPgStatActivity) {
    auto conn = connect(primary_options(), {.application_name = "ucm/itest/appname"});
    auto r = exec(conn, "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
    EXPECT_EQ(r[0].get<std::string>(0), "ucm/itest/appname");
}

}  // namespace
}  // namespace ucm::pg
