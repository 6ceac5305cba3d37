// `ucm demo`: the main job. Starts a private sandbox (PostgreSQL primary + synchronous standby,
// Redis master + replica + three Sentinels), connects to every server and prints what it found:
// each server's role and replication state. Later work grows it into the failover demo.
#include "commands/commands.hpp"

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
    fmt::print("\nendpoints for tests (`ucm sandbox env` prints these for a shared sandbox):\n");
    for (const auto& [name, value] : box.env()) fmt::print("  {}={}\n", name, value);
    box.stop();
    fmt::print("\nsandbox stopped; every server was stopped by PID and its directory removed.\n");
    if (problems != 0) {
        fmt::print("ucm demo: {} server(s) did not report a role\n", problems);
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
