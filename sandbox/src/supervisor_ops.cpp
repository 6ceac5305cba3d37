// Control operations, one JSON request each (see Sandbox in sandbox.hpp for their meaning).
#include "pg_probe.hpp"
#include "redis_probe.hpp"
#include "state_json.hpp"
#include "supervisor_impl.hpp"

#include <signal.h>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::chrono::seconds kDefaultOpTimeout{120};
constexpr std::chrono::milliseconds kPromotePoll{5};

void require_postgres(const Member& member) {
    if (member.kind != Kind::Postgres) throw std::runtime_error(member.name + " is not a PostgreSQL member");
}

}  // namespace

Member* Supervisor::find(std::string_view name) {
    for (Member& m : members_) {
        if (m.name == name) return &m;
    }
    return nullptr;
}

Member& Supervisor::member(std::string_view name) {
    if (Member* m = find(name)) return *m;
    std::string known;
    for (const Member& m : members_) known += (known.empty() ? "" : ", ") + m.name;
    throw std::runtime_error("no member " + std::string(name) + " (members: " + known + ")");
}

json Supervisor::handle(const json& request) {
    if (!request.is_object()) throw std::runtime_error("a request is a JSON object");
    const std::string op = request.value("op", "");
    const Deadline deadline = Clock::now() + std::chrono::seconds(request.value(
                                                 "timeout_s", static_cast<int>(kDefaultOpTimeout.count())));
    auto named = [&](const char* key) -> Member& { return member(request.at(key).get<std::string>()); };
    if (op == "status") return {{"members", status(request.value("live", true))}};
    note("request: " + request.dump(-1, ' ', false, json::error_handler_t::replace));
    if (op == "kill") {
        signal_member(named("member"), request.value("signal", SIGKILL));
    } else if (op == "stop") {
        stop_member(named("member"), deadline);
    } else if (op == "start") {
        start_member(named("member"), deadline);
    } else if (op == "restart") {
        Member& m = named("member");
        stop_member(m, deadline);
        start_member(m, deadline);
    } else if (op == "pause") {
        signal_member(named("member"), SIGSTOP);
    } else if (op == "resume") {
        signal_member(named("member"), SIGCONT);
    } else if (op == "promote") {
        promote(named("member"), request.value("wait", true), deadline);
    } else if (op == "reattach") {
        reattach(named("old"), named("new"), deadline);
    } else if (op == "sentinel_failover") {
        sentinel_failover(deadline);
    } else {
        throw std::runtime_error("unknown op `" + op +
                                 "` (status, kill, stop, start, restart, pause, resume, promote, "
                                 "reattach, sentinel_failover, down)");
    }
    return json::object();
}

void Supervisor::promote(Member& standby, bool wait, Deadline deadline) {
    require_postgres(standby);
    if (!standby.running()) throw std::runtime_error(standby.name + " is not running");
    std::string error;
    auto probe = PgProbe::connect(standby.port, deadline, error);
    if (!probe) throw std::runtime_error(standby.name + ": " + error);
    auto run = [&](std::string_view sql) {
        auto rows = probe->query(sql, deadline, error);
        if (!rows) throw std::runtime_error(standby.name + ": " + std::string(sql) + ": " + error);
        return *rows;
    };
    if (run("SELECT pg_is_in_recovery()").value() != "t") {
        throw std::runtime_error(standby.name + " is not a standby");
    }
    // ALTER SYSTEM works during recovery: turning synchronous replication off before the promotion
    // means the new primary never waits for a standby it does not have (gotcha 10).
    run("ALTER SYSTEM RESET synchronous_standby_names");
    run("SELECT pg_reload_conf()");
    // pg_promote(true) polls every 100 ms; poll ourselves every 5 ms instead (gotcha 4).
    run("SELECT pg_promote(false)");
    if (!wait) return;
    while (run("SELECT pg_is_in_recovery()").value() != "f") {
        if (Clock::now() >= deadline) {
            throw std::runtime_error(standby.name + " did not finish promotion in time");
        }
        sleep_for_events(static_cast<int>(kPromotePoll.count()));
    }
    note(standby.name + " promoted");
}

void Supervisor::reattach(Member& old_primary, Member& new_primary, Deadline deadline) {
    require_postgres(old_primary);
    require_postgres(new_primary);
    if (&old_primary == &new_primary) throw std::runtime_error("reattach needs two different members");
    if (!new_primary.running()) throw std::runtime_error(new_primary.name + " is not running");
    const std::string what = "reattach " + old_primary.name + " to " + new_primary.name;
    if (pg_exec(new_primary.port, "SELECT pg_is_in_recovery()", deadline, what).value() != "f") {
        throw std::runtime_error(what + ": " + new_primary.name + " is not a primary");
    }
    // Without a checkpoint the control file still shows the old timeline, pg_rewind says "no rewind
    // required" and the old primary comes back as a second primary (gotcha 5).
    pg_exec(new_primary.port, "CHECKPOINT", deadline, what);
    stop_member(old_primary, deadline);
    kill_strays(std::min(deadline, Clock::now() + std::chrono::seconds(5)));
    const std::string new_address =
        "hostaddr=127.0.0.1 port=" + std::to_string(new_primary.port) + " user=postgres";
    const std::string source = new_address + " dbname=postgres";
    // PostgreSQL 15's pg_rewind runs crash recovery on a target that was killed.
    run_helper("pg_rewind of " + old_primary.name + " from " + new_primary.name,
               {(pg_bindir() / "pg_rewind").string(), "--target-pgdata=" + old_primary.dir.string(),
                "--source-server=" + source, "--write-recovery-conf", "--no-sync"},
               dir_ / (old_primary.name + "-rewind.log"), deadline);
    // Written here as well: with "no rewind required" older pg_rewinds write no recovery config.
    // pg_rewind copied the new primary's postgresql.auto.conf; the last primary_conninfo wins.
    write_file(old_primary.dir / "standby.signal", "");
    append_file(old_primary.dir / "postgresql.auto.conf",
                "primary_conninfo = '" + new_address + " application_name=" + old_primary.name + "'\n");
    start_member(old_primary, deadline);
    wait_until(old_primary.name + " streams from " + new_primary.name, old_primary, deadline,
               [&]() -> std::optional<std::string> {
                   std::string error;
                   auto rows = pg_try(new_primary.port,
                                      "SELECT state FROM pg_stat_replication WHERE application_name = '" +
                                          old_primary.name + "'",
                                      std::min(deadline, Clock::now() + std::chrono::seconds(1)), error);
                   if (!rows) return error;
                   if (rows->value() != "streaming") return "state '" + rows->value() + "'";
                   return std::nullopt;
               });
    note(what + ": done");
}

void Supervisor::sentinel_failover(Deadline deadline) {
    std::string errors;
    for (const Member& sentinel : members_) {
        if (sentinel.kind != Kind::Sentinel || !sentinel.running() || sentinel.paused) continue;
        if (Clock::now() >= deadline) break;
        std::string error;
        if (redis_command(sentinel.port, {"SENTINEL", "FAILOVER", kMasterName}, std::chrono::seconds(2),
                          error)) {
            note("SENTINEL FAILOVER accepted by " + sentinel.name);
            return;
        }
        errors += (errors.empty() ? "" : "; ") + sentinel.name + ": " + error;
    }
    throw std::runtime_error("SENTINEL FAILOVER " + std::string(kMasterName) +
                             " failed: " + (errors.empty() ? std::string("no reachable sentinel") : errors));
}

}  // namespace ucm::sandbox::detail
