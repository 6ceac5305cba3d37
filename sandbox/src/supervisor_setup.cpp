// Start-up: the sandbox directory, the privilege drop, and every member up to readiness.
#include "pg_probe.hpp"
#include "pg_template.hpp"
#include "redis_probe.hpp"
#include "supervisor_impl.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::milliseconds kProbeTimeout{1000};
constexpr std::size_t kMaxSocketPath = 107;  // sun_path holds 108 bytes with the NUL

Deadline probe_deadline(Deadline overall) { return std::min(overall, Clock::now() + kProbeTimeout); }

// Stray PG* variables (PGHOST, PGOPTIONS, PGTARGETSESSIONATTRS...) would reach pg_basebackup and
// pg_rewind, and libpq in this process.
void clear_libpq_environment() {
    std::vector<std::string> names;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        if (text.rfind("PG", 0) == 0) names.emplace_back(text.substr(0, text.find('=')));
    }
    for (const auto& name : names) ::unsetenv(name.c_str());
}

}  // namespace

void Supervisor::prepare_directory() {
    int count =
        (args_.options.postgres ? 2 : 0) + (args_.options.redis ? 5 : 0) + (args_.options.pgbouncer ? 1 : 0);
    if (count == 0) throw std::runtime_error("nothing to start: postgres and redis both disabled");
    if (args_.options.pgbouncer && !args_.options.postgres) {
        throw std::runtime_error("pgbouncer needs postgres");
    }
    ports_.emplace(PortReservation::reserve(count, self_));

    std::string pattern = (args_.options.tmp_root / "ucm-sb-XXXXXX").string();
    // Unix sockets live in the directory: control.sock and postgres' .s.PGSQL.<port>.lock.
    if (pattern.size() + std::strlen("/.s.PGSQL.32000.lock") > kMaxSocketPath) {
        throw std::runtime_error("tmp_root " + args_.options.tmp_root.string() +
                                 " is too long for Unix socket paths");
    }
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + pattern + ": " + errno_text(errno));
    }
    dir_ = pattern;
    ::chmod(dir_.c_str(), 0755);  // logs readable by whoever started the sandbox
}

void Supervisor::drop_privileges() {
    clear_libpq_environment();
    if (::geteuid() != 0) return;
    // PostgreSQL and pgbouncer refuse root. Switching this process (not each child through runuser)
    // keeps every server a direct child with its own PID (gotchas 1 and 3).
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("running as root needs a `postgres` user to run as");
    const uid_t uid = user->pw_uid;
    const gid_t gid = user->pw_gid;
    const std::string name = user->pw_name;
    if (::chown(dir_.c_str(), uid, gid) != 0) {
        throw std::runtime_error("chown " + dir_.string() + ": " + errno_text(errno));
    }
    if (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
        throw std::runtime_error("cannot switch to user postgres: " + errno_text(errno));
    }
    if (::setuid(0) == 0) throw std::runtime_error("privileges were not dropped");
    ::setenv("HOME", dir_.c_str(), 1);
    ::setenv("USER", name.c_str(), 1);
    ::setenv("LOGNAME", name.c_str(), 1);
}

void Supervisor::create_members() {
    const std::vector<int>& ports = ports_->ports();
    std::size_t next = 0;
    auto add = [&](std::string name, Kind kind) {
        Member member;
        member.name = std::move(name);
        member.kind = kind;
        member.port = ports.at(next++);
        member.dir = dir_ / member.name;
        member.log = dir_ / (member.name + ".log");
        members_.push_back(std::move(member));
    };
    if (args_.options.postgres) {
        add("pg0", Kind::Postgres);
        add("pg1", Kind::Postgres);
    }
    if (args_.options.redis) {
        add("redis0", Kind::Redis);
        add("redis1", Kind::Redis);
        for (int i = 0; i < 3; ++i) add("sentinel" + std::to_string(i), Kind::Sentinel);
    }
    if (args_.options.pgbouncer) add("pgbouncer", Kind::PgBouncer);
}

void Supervisor::start_everything(Deadline deadline) {
    // Order for speed: the slow chains (pg base backup; sentinels finding each other through
    // hello messages every 2 s) run in parallel, since the servers progress on their own.
    if (args_.options.postgres) {
        copy_pg_template(member("pg0").dir, dir_ / "initdb.log",
                         [&](std::string_view what, const std::vector<std::string>& argv,
                             const fs::path& log) { run_helper(what, argv, log, deadline); });
        spawn(member("pg0"));
    }
    if (args_.options.redis) start_redis_group(deadline);
    if (args_.options.postgres) start_postgres_pair(deadline);
    if (args_.options.redis) wait_sentinels_ready(deadline);
    note("all members ready");
}

void Supervisor::start_redis_group(Deadline deadline) {
    Member& master = member("redis0");
    Member& replica = member("redis1");
    for (Member* m : {&master, &replica}) fs::create_directories(m->dir);
    write_redis_config(master, 0);
    write_redis_config(replica, master.port);
    spawn(master);
    spawn(replica);
    wait_until("redis0 answers PING", master, deadline,
               [&]() -> std::optional<std::string> { return ready_check(master, deadline); });
    // Sentinels learn replicas from the master's INFO, asked every 10 s: start them only once the
    // replica is attached, so the first INFO already lists it.
    wait_until("redis1 replicates redis0", replica, deadline, [&]() -> std::optional<std::string> {
        std::string error;
        auto info = redis_command(replica.port, {"INFO", "replication"}, kProbeTimeout, error);
        if (!info) return error;
        std::string link = info_field(info->text, "master_link_status");
        if (link == "up") return std::nullopt;
        return "master_link_status:" + link;
    });
    for (Member& m : members_) {
        if (m.kind != Kind::Sentinel) continue;
        fs::create_directories(m.dir);
        write_sentinel_config(m, master.port);
        spawn(m);
    }
}

void Supervisor::start_postgres_pair(Deadline deadline) {
    Member& primary = member("pg0");
    Member& standby = member("pg1");
    wait_until("pg0 accepts connections", primary, deadline, [&]() -> std::optional<std::string> {
        return ready_check(primary, probe_deadline(deadline));
    });
    run_helper(
        "pg_basebackup of pg1 from pg0",
        {(pg_bindir() / "pg_basebackup").string(), "-h", "127.0.0.1", "-p", std::to_string(primary.port),
         "-U", "postgres", "-D", standby.dir.string(), "-R", "-X", "stream", "-c", "fast", "--no-sync"},
        dir_ / "pg1-basebackup.log", deadline);
    if (args_.options.sync_replication) {
        // In postgresql.auto.conf, not on the command line: a promoted standby must be able to
        // turn it off again with ALTER SYSTEM RESET (gotcha 10). Set after the base backup, so the
        // standby's copy of the file does not have it.
        pg_exec(primary.port, "ALTER SYSTEM SET synchronous_standby_names = '*'", deadline, "pg0");
        pg_exec(primary.port, "SELECT pg_reload_conf()", deadline, "pg0");
    }
    spawn(standby);
    if (Member* bouncer = find("pgbouncer")) {
        fs::create_directories(bouncer->dir);
        write_pgbouncer_config(*bouncer, primary.port);
        spawn(*bouncer);
    }
    wait_until("pg1 is a hot standby", standby, deadline, [&]() -> std::optional<std::string> {
        std::string error;
        auto rows = pg_try(standby.port, "SELECT pg_is_in_recovery()", probe_deadline(deadline), error);
        if (!rows) return error;
        if (rows->value() != "t") return "pg_is_in_recovery() is " + rows->value();
        return std::nullopt;
    });
    const bool sync = args_.options.sync_replication;
    wait_until(sync ? "pg1 streams from pg0 as a sync standby" : "pg1 streams from pg0", standby, deadline,
               [&]() -> std::optional<std::string> {
                   std::string error;
                   auto rows = pg_try(primary.port,
                                      "SELECT state, sync_state FROM pg_stat_replication "
                                      "WHERE application_name = 'pg1'",
                                      probe_deadline(deadline), error);
                   if (!rows) return error;
                   if (rows->rows.empty()) return std::string("pg1 not in pg_stat_replication");
                   if (rows->value(0, 0) != "streaming") return "state " + rows->value(0, 0);
                   if (sync && rows->value(0, 1) != "sync") return "sync_state " + rows->value(0, 1);
                   return std::nullopt;
               });
    if (Member* bouncer = find("pgbouncer")) {
        wait_until("pgbouncer forwards to pg0", *bouncer, deadline, [&]() -> std::optional<std::string> {
            std::string error;
            if (!pg_try(bouncer->port, "SELECT 1", probe_deadline(deadline), error)) return error;
            return std::nullopt;
        });
    }
}

void Supervisor::wait_sentinels_ready(Deadline deadline) {
    const int master_port = member("redis0").port;
    const std::string replica_port = std::to_string(member("redis1").port);
    for (const Member& sentinel : members_) {
        if (sentinel.kind != Kind::Sentinel) continue;
        wait_until(
            sentinel.name + " knows the master, its replica and 2 other sentinels", sentinel, deadline,
            [&]() -> std::optional<std::string> {
                std::string error;
                auto addr = redis_command(sentinel.port, {"SENTINEL", "get-master-addr-by-name", kMasterName},
                                          kProbeTimeout, error);
                if (!addr) return error;
                if (addr->elements.size() != 2 || addr->elements[1].text != std::to_string(master_port)) {
                    return std::string("does not name 127.0.0.1:") + std::to_string(master_port);
                }
                auto others = redis_command(sentinel.port, {"SENTINEL", "sentinels", kMasterName},
                                            kProbeTimeout, error);
                if (!others) return error;
                if (others->elements.size() < 2) {
                    return "sees " + std::to_string(others->elements.size()) + " other sentinels";
                }
                auto replicas =
                    redis_command(sentinel.port, {"SENTINEL", "replicas", kMasterName}, kProbeTimeout, error);
                if (!replicas) return error;
                for (const RedisValue& replica : replicas->elements) {
                    // Each replica is a flat list of field, value pairs.
                    for (std::size_t i = 0; i + 1 < replica.elements.size(); i += 2) {
                        if (replica.elements[i].text == "port" &&
                            replica.elements[i + 1].text == replica_port) {
                            return std::nullopt;
                        }
                    }
                }
                return std::string("does not list replica redis1");
            });
    }
}

State Supervisor::state() const {
    State state;
    state.dir = dir_;
    state.supervisor_pid = self_;
    state.control_socket = dir_ / "control.sock";
    state.members = status(false);
    auto port_of = [&](std::string_view name) {
        for (const Member& m : members_) {
            if (m.name == name) return m.port;
        }
        return 0;
    };
    if (args_.options.postgres) {
        state.env["UCM_TEST_PG_PRIMARY"] = pg_uri(port_of("pg0"));
        state.env["UCM_TEST_PG_STANDBY"] = pg_uri(port_of("pg1"));
    }
    if (args_.options.redis) {
        state.env["UCM_TEST_REDIS_MASTER"] = "127.0.0.1:" + std::to_string(port_of("redis0"));
        std::string sentinels;
        for (const Member& m : members_) {
            if (m.kind != Kind::Sentinel) continue;
            if (!sentinels.empty()) sentinels += ",";
            sentinels += "127.0.0.1:" + std::to_string(m.port);
        }
        state.env["UCM_TEST_REDIS_SENTINELS"] = sentinels;
        state.env["UCM_TEST_REDIS_MASTER_NAME"] = kMasterName;
    }
    if (args_.options.pgbouncer) state.env["UCM_TEST_PGBOUNCER"] = pg_uri(port_of("pgbouncer"));
    return state;
}

}  // namespace ucm::sandbox::detail
