// The sandbox itself: replication and Sentinel on the shared sandbox, and the destructive
// operations (kill, promote, reattach, failover, pause, stop/start, teardown) on private ones.
// Plain libpq and hiredis here, so a bug in ucm cannot hide a bug in the sandbox.
#include "support/sandbox_env.hpp"

#include <ucm/sandbox/sandbox.hpp>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <poll.h>
#include <random>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace sb = ucm::sandbox;

// ---- helpers ----------------------------------------------------------------------------------

/// Polls `condition` every 20 ms until it holds or `limit` passes; the last check decides.
template <class Condition>
bool eventually(Clock::duration limit, Condition&& condition) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return condition();
}

struct PgOutcome {
    bool ok = false;
    std::string value;  ///< first column of the first row, if any
    std::string error;
};

void ignore_notice(void*, const PGresult*) {}

/// Runs `sql` with a deadline on a fresh connection: a COMMIT stuck waiting for a synchronous
/// standby, or a SIGSTOPped server, fails after `limit` instead of hanging the test.
PgOutcome pg_run(const std::string& uri, const std::string& sql, Clock::duration limit = 10s) {
    PgOutcome outcome;
    const auto deadline = Clock::now() + limit;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(limit).count();
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
        PQconnectdb((uri + "?connect_timeout=" + std::to_string(std::max<long long>(seconds, 2))).c_str()),
        &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        outcome.error = PQerrorMessage(conn.get());
        return outcome;
    }
    PQsetNoticeReceiver(conn.get(), ignore_notice, nullptr);
    if (PQsendQuery(conn.get(), sql.c_str()) == 0) {
        outcome.error = PQerrorMessage(conn.get());
        return outcome;
    }
    for (;;) {
        while (PQisBusy(conn.get()) == 1) {
            pollfd pfd{PQsocket(conn.get()), POLLIN, 0};
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) == 0) {
                outcome.error = "no answer to `" + sql + "` in time";
                return outcome;
            }
            PQconsumeInput(conn.get());
        }
        PGresult* result = PQgetResult(conn.get());
        if (result == nullptr) break;
        const ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) outcome.value = PQgetvalue(result, 0, 0);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && outcome.error.empty()) {
            outcome.error = PQresultErrorMessage(result);
        }
        PQclear(result);
    }
    outcome.ok = outcome.error.empty();
    return outcome;
}

std::string pg_value(const std::string& uri, const std::string& sql) {
    PgOutcome outcome = pg_run(uri, sql);
    return outcome.ok ? outcome.value : "error: " + outcome.error;
}

/// "host:port" -> port
int port_of(const std::string& host_port) { return std::stoi(host_port.substr(host_port.rfind(':') + 1)); }

/// Top-level strings of a Redis reply (a status or bulk string is one element); empty on failure.
std::vector<std::string> redis_strings(int port, const std::vector<std::string>& args,
                                       std::chrono::milliseconds timeout = 1000ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    std::unique_ptr<redisContext, decltype(&redisFree)> ctx(redisConnectWithTimeout("127.0.0.1", port, tv),
                                                            &redisFree);
    if (!ctx || ctx->err != 0) return {};
    redisSetTimeout(ctx.get(), tv);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
        argv.push_back(arg.c_str());
        lengths.push_back(arg.size());
    }
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
        static_cast<redisReply*>(
            redisCommandArgv(ctx.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())),
        &freeReplyObject);
    if (!reply) return {};
    auto text = [](const redisReply& r) -> std::string {
        if (r.type == REDIS_REPLY_INTEGER) return std::to_string(r.integer);
        if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS) return std::string(r.str, r.len);
        return r.type == REDIS_REPLY_ARRAY ? "[array]" : "";
    };
    if (reply->type == REDIS_REPLY_ERROR) return {};
    if (reply->type != REDIS_REPLY_ARRAY) return {text(*reply)};
    std::vector<std::string> values;
    for (std::size_t i = 0; i < reply->elements; ++i) values.push_back(text(*reply->element[i]));
    return values;
}

std::vector<int> sentinel_ports(const std::string& list) {
    std::vector<int> ports;
    std::istringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) ports.push_back(port_of(item));
    return ports;
}

std::string unique_token() {
    std::random_device random;
    return std::to_string(::getpid()) + "_" + std::to_string(random());
}

bool pid_gone(int pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

sb::Options private_options() {
    sb::Options options;
    options.supervisor_exe = ucm::test::cli_path();
    return options;
}

// ---- shared sandbox ---------------------------------------------------------------------------

TEST(SandboxShared, StandbyReplaysARowWrittenOnThePrimary) {
    const auto& env = ucm::test::sandbox_env();
    ASSERT_EQ(pg_value(env.pg_standby, "SELECT pg_is_in_recovery()"), "t");
    const std::string table = "ucm_sandbox_replay_" + std::to_string(::getpid());
    const std::string token = unique_token();
    PgOutcome created = pg_run(env.pg_primary, "CREATE TABLE IF NOT EXISTS " + table + " (note text)");
    ASSERT_TRUE(created.ok) << created.error;
    PgOutcome inserted = pg_run(env.pg_primary, "INSERT INTO " + table + " VALUES ('" + token + "')");
    ASSERT_TRUE(inserted.ok) << inserted.error;

    const std::string probe = "SELECT count(*) FROM " + table + " WHERE note = '" + token + "'";
    std::string last;
    EXPECT_TRUE(eventually(30s, [&] { return (last = pg_value(env.pg_standby, probe)) == "1"; }))
        << "standby answered: " << last;
    pg_run(env.pg_primary, "DROP TABLE IF EXISTS " + table);
}

TEST(SandboxShared, EverySentinelReportsTheMaster) {
    const auto& env = ucm::test::sandbox_env();
    const int master = port_of(env.redis_master);
    const std::vector<int> sentinels = sentinel_ports(env.redis_sentinels);
    ASSERT_EQ(sentinels.size(), 3u);
    for (int sentinel : sentinels) {
        std::vector<std::string> addr;
        EXPECT_TRUE(eventually(
            10s,
            [&] {
                addr =
                    redis_strings(sentinel, {"SENTINEL", "get-master-addr-by-name", env.redis_master_name});
                return addr.size() == 2 && addr[0] == "127.0.0.1" && addr[1] == std::to_string(master);
            }))
            << "sentinel :" << sentinel << " names "
            << (addr.size() == 2 ? addr[0] + ":" + addr[1] : "nothing");
    }
    const auto role = redis_strings(master, {"ROLE"});
    ASSERT_FALSE(role.empty());
    EXPECT_EQ(role[0], "master");
}

// ---- private sandboxes (destructive) ----------------------------------------------------------

TEST(SandboxDestructive, PromotedStandbyTakesWritesAndTheOldPrimaryRejoins) {
    sb::Options options = private_options();
    options.redis = false;
    options.sync_replication = true;
    auto box = sb::Sandbox::start(options);
    const std::string pg0 = box.pg_uri("pg0");
    const std::string pg1 = box.pg_uri("pg1");
    PgOutcome setup =
        pg_run(pg0, "CREATE TABLE failover_rows (id int); INSERT INTO failover_rows VALUES (1)");
    ASSERT_TRUE(setup.ok) << setup.error;  // a commit acknowledged by the synchronous standby

    box.kill("pg0", SIGKILL);
    EXPECT_EQ(box.pid("pg0"), 0);
    box.promote("pg1");
    EXPECT_EQ(pg_value(pg1, "SELECT pg_is_in_recovery()"), "f");
    // With synchronous_standby_names still set this COMMIT would wait forever for a standby.
    PgOutcome write = pg_run(pg1, "INSERT INTO failover_rows VALUES (2)", 15s);
    ASSERT_TRUE(write.ok) << write.error;

    box.reattach("pg0", "pg1");
    EXPECT_EQ(pg_value(pg0, "SELECT pg_is_in_recovery()"), "t");
    PgOutcome after = pg_run(pg1, "INSERT INTO failover_rows VALUES (3)", 15s);
    ASSERT_TRUE(after.ok) << after.error;
    std::string last;
    EXPECT_TRUE(eventually(
        30s,
        [&] {
            return (last = pg_value(pg0, "SELECT count(*) FROM failover_rows WHERE id IN (2, 3)")) == "2";
        }))
        << "rejoined pg0 answered: " << last;
    box.stop();
}

TEST(SandboxDestructive, SentinelFailoverMovesTheMasterToTheReplica) {
    sb::Options options = private_options();
    options.postgres = false;
    auto box = sb::Sandbox::start(options);
    const int replica = box.port("redis1");
    const std::string master_name = box.env().at("UCM_TEST_REDIS_MASTER_NAME");
    const std::vector<int> sentinels = sentinel_ports(box.env().at("UCM_TEST_REDIS_SENTINELS"));

    box.sentinel_failover();
    for (int sentinel : sentinels) {
        std::vector<std::string> addr;
        EXPECT_TRUE(eventually(
            30s,
            [&] {
                addr = redis_strings(sentinel, {"SENTINEL", "get-master-addr-by-name", master_name});
                return addr.size() == 2 && addr[1] == std::to_string(replica);
            }))
            << "sentinel :" << sentinel << " still names " << (addr.size() == 2 ? addr[1] : "nothing");
    }
    const auto role = redis_strings(replica, {"ROLE"});
    ASSERT_FALSE(role.empty());
    EXPECT_EQ(role[0], "master");
    box.stop();
}

TEST(SandboxDestructive, StopLeavesNoProcessNoDirectoryNoPortReservation) {
    sb::Options options = private_options();
    options.pgbouncer = true;
    auto box = sb::Sandbox::start(options);
    const int supervisor = box.state().supervisor_pid;
    const std::filesystem::path dir = box.state().dir;
    std::vector<int> pids = {supervisor};
    for (const auto& member : box.status()) {
        EXPECT_TRUE(member.running) << member.name;
        EXPECT_FALSE(member.role.empty()) << member.name << ": " << member.detail;
        pids.push_back(member.pid);
    }
    ASSERT_EQ(pids.size(), 9u);  // supervisor, pg0, pg1, redis0, redis1, 3 sentinels, pgbouncer
    EXPECT_EQ(pg_value(box.pg_uri("pgbouncer"), "SELECT 41 + 1"), "42");
    ASSERT_TRUE(std::filesystem::exists(dir));

    box.stop();
    for (int pid : pids) EXPECT_TRUE(pid_gone(pid)) << "pid " << pid << " is still there";
    EXPECT_FALSE(std::filesystem::exists(dir));
    std::ifstream registry("/tmp/ucm-sandbox-ports.lock");
    int port = 0;
    int owner = 0;
    while (registry >> port >> owner) EXPECT_NE(owner, supervisor) << "port " << port << " still reserved";
}

// The lifeline: a test process that dies without stop() closes the supervisor's stdin, and the
// supervisor then stops everything on its own. Here the test plays that process by hand.
TEST(SandboxDestructive, ClosedStdinMakesTheSupervisorStopEverything) {
    int in[2];
    int out[2];
    ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args = {ucm::test::cli_path(), "sandbox", "supervise", "--watch-stdin",
                                     "--no-redis"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t supervisor = 0;
    ASSERT_EQ(posix_spawn(&supervisor, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);

    std::string line;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    ASSERT_NE(line.find("\"ok\":true"), std::string::npos) << line;
    const sb::State state = [&] {
        // Only the fields this test needs, without a JSON library.
        sb::State s;
        auto dir_at = line.find("\"dir\":\"") + 7;
        s.dir = line.substr(dir_at, line.find('"', dir_at) - dir_at);
        return s;
    }();
    std::vector<int> pids;
    for (std::size_t at = 0; (at = line.find("\"pid\":", at)) != std::string::npos; at += 6) {
        pids.push_back(std::stoi(line.substr(at + 6)));
    }
    ASSERT_EQ(pids.size(), 2u);  // pg0, pg1

    ::close(in[1]);  // as if this process had died
    int status = 0;
    ASSERT_TRUE(eventually(60s, [&] { return ::waitpid(supervisor, &status, WNOHANG) == supervisor; }));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
    for (int pid : pids) EXPECT_TRUE(pid_gone(pid)) << "pid " << pid << " is still there";
    EXPECT_FALSE(std::filesystem::exists(state.dir));
}

TEST(SandboxDestructive, PausedMembersServeAgainAndTheStandbyStopsAndStarts) {
    auto box = sb::Sandbox::start(private_options());
    const int replica = box.port("redis1");
    const std::string pg0 = box.pg_uri("pg0");
    const std::string pg1 = box.pg_uri("pg1");

    // The replica, not the master: a master paused past down-after (1 s) gets failed over.
    box.pause("redis1");
    EXPECT_TRUE(redis_strings(replica, {"PING"}, 300ms).empty()) << "a SIGSTOPped redis answered";
    box.resume("redis1");
    EXPECT_TRUE(eventually(10s, [&] {
        auto pong = redis_strings(replica, {"PING"});
        return !pong.empty() && pong[0] == "PONG";
    }));

    box.pause("pg0");
    EXPECT_FALSE(pg_run(pg0, "SELECT 1", 2s).ok) << "a SIGSTOPped postmaster accepted a connection";
    for (const auto& member : box.status()) {
        if (member.name == "pg0") {
            EXPECT_TRUE(member.paused);
        }
    }
    box.resume("pg0");
    EXPECT_TRUE(eventually(10s, [&] { return pg_value(pg0, "SELECT 1") == "1"; }));

    box.stop_member("pg1");
    EXPECT_EQ(box.pid("pg1"), 0);
    EXPECT_FALSE(pg_run(pg1, "SELECT 1", 2s).ok);
    PgOutcome created = pg_run(pg0, "CREATE TABLE while_down (id int); INSERT INTO while_down VALUES (7)");
    ASSERT_TRUE(created.ok) << created.error;
    box.start_member("pg1");
    EXPECT_GT(box.pid("pg1"), 0);
    EXPECT_EQ(pg_value(pg1, "SELECT pg_is_in_recovery()"), "t");
    std::string last;
    EXPECT_TRUE(
        eventually(30s, [&] { return (last = pg_value(pg1, "SELECT count(*) FROM while_down")) == "1"; }))
        << "restarted standby answered: " << last;
    box.stop();
}

}  // namespace
