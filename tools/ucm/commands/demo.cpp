// `ucm demo`: the main job. Starts a private sandbox (PostgreSQL primary + synchronous standby,
// Redis master + replica + three Sentinels), connects to every server and prints what it found:
// each server's role and replication state. Later work grows it into the failover demo.
#include "commands/commands.hpp"

#include <ucm/core/config.hpp>
#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace ucm::cli {
namespace {

struct DemoArgs {
    bool pgbouncer = false;
};

void print_members(const std::vector<sandbox::MemberStatus>& members) {
    fmt::print("  {:<10} {:<10} {:>6} {:>8}  {:<9} {}\n", "member", "kind", "port", "pid", "role",
               "replication");
    for (const auto& m : members) {
        const char* state = m.paused ? " (paused)" : (m.running ? "" : " (stopped)");
        fmt::print("  {:<10} {:<10} {:>6} {:>8}  {:<9} {}{}\n", m.name, m.kind, m.port, m.pid, m.role,
                   m.detail, state);
    }
}

ucm::Config demo_config(const sandbox::Sandbox& box) {
    ucm::Config config;
    config.manager.mode = ucm::ManagerMode::McpServer;
    config.manager.id = "demo";
    config.postgres.hosts = {{.host = "127.0.0.1", .port = static_cast<std::uint16_t>(box.port("pg0"))}};
    config.postgres.user = "postgres";
    config.postgres.dbname = "postgres";
    return config;
}

// A small workload through ucm in McpServer mode: writes in transactions, reads on read-only leases.
bool run_workload(const sandbox::Sandbox& box) {
    ucm::UnifiedConnectionManager manager(demo_config(box));
    manager.connection(ucm::ConnectionMode::ReadWrite)
        .execute_simple("CREATE TABLE IF NOT EXISTS demo_orders(id bigint PRIMARY KEY, note text)",
                        ucm::deadline_after(std::chrono::seconds{5}));
    constexpr std::int64_t kWrites = 200;
    for (std::int64_t id = 1; id <= kWrites; ++id) {
        manager.run_transaction([&](ucm::pg::Session& tx) {
            tx.execute("INSERT INTO demo_orders(id, note) VALUES ($1, $2)", id, std::string_view("demo"));
        });
    }
    auto reader = manager.connection(ucm::ConnectionMode::ReadOnly);
    const auto found = reader.execute("SELECT count(*) FROM demo_orders")[0].get<std::int64_t>(0);
    reader.release();
    const auto info = manager.connection_info();
    fmt::print("\nthrough ucm ({}): {} transactions committed, {} rows read back on a read-only lease\n",
               info.application_name, kWrites, found);
    for (const auto& pool : info.endpoints.at(0).pools) {
        fmt::print("  pool {:<10} created {:>3}  idle {:>3}  in use {}  acquired {:>4}  timeouts {}\n",
                   ucm::to_string(pool.access), pool.stats.created, pool.stats.idle, pool.stats.in_use,
                   pool.stats.acquired, pool.stats.timeouts);
    }
    const auto health = manager.health_check();
    fmt::print("  health: {}\n", ucm::to_string(health.status));
    return found == kWrites && health.status == ucm::HealthStatus::Healthy;
}

int run_demo(const DemoArgs& args) {
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    fmt::print("ucm demo: starting a private sandbox on 127.0.0.1 ...\n");
    auto box = sandbox::Sandbox::start({
        .pgbouncer = args.pgbouncer,
        .sync_replication = true,
        .supervisor_exe = std::filesystem::read_symlink("/proc/self/exe"),
    });
    const auto ready_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count();
    fmt::print("sandbox ready in {} ms at {}\n\n", ready_ms, box.state().dir.string());
    const auto members = box.status();
    print_members(members);

    int problems = 0;
    for (const auto& m : members) {
        if (!m.running || m.role.empty() || m.role == "unknown") ++problems;
    }
    if (!run_workload(box)) ++problems;
    fmt::print("\nendpoints for tests (`ucm sandbox env` prints these for a shared sandbox):\n");
    for (const auto& [name, value] : box.env()) fmt::print("  {}={}\n", name, value);
    box.stop();
    fmt::print("\nsandbox stopped; every server was stopped by PID and its directory removed.\n");
    if (problems != 0) {
        fmt::print("ucm demo: {} problem(s): a server without a role, or the workload failed\n", problems);
        return 1;
    }
    return 0;
}

}  // namespace

void register_demo_command(CLI::App& app) {
    auto args = std::make_shared<DemoArgs>();
    auto* cmd = app.add_subcommand("demo", "Start a private sandbox and show its servers and roles");
    cmd->add_flag("--pgbouncer", args->pgbouncer, "also start PgBouncer in front of the primary");
    cmd->callback([args] {
        if (int rc = run_demo(*args); rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace ucm::cli
