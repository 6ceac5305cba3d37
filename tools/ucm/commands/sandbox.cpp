// `ucm sandbox`: a shared sandbox for tests and people (up, down, status, env). The operations on
// members and the internal `supervise` live in sandbox_ops.cpp.
#include "commands/commands.hpp"

#include <ucm/sandbox/sandbox.hpp>
#include <ucm/sandbox/state_json.hpp>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

namespace ucm::cli {
namespace fs = std::filesystem;

// sandbox_ops.cpp (forward-declared here: commands.hpp names one function per verb).
void register_sandbox_operations(CLI::App& sandbox, const std::shared_ptr<std::string>& state_file);
void register_sandbox_supervise(CLI::App& sandbox);
std::string default_sandbox_state_file();

std::string default_sandbox_state_file() {
    return "/tmp/ucm-sandbox-" + std::to_string(::getuid()) + ".json";
}

namespace {

struct UpArgs {
    std::string env_file;
    bool sync_replication = false;
    bool pgbouncer = false;
    bool no_redis = false;
    bool no_postgres = false;
    int ready_timeout_s = 120;
    std::string tmp_root = "/tmp";
};

void print_members(const std::vector<sandbox::MemberStatus>& members) {
    fmt::print("  {:<10} {:<10} {:>6} {:>8}  {:<8} {}\n", "member", "kind", "port", "pid", "role", "detail");
    for (const auto& m : members) {
        fmt::print("  {:<10} {:<10} {:>6} {:>8}  {:<8} {}\n", m.name, m.kind, m.port, m.running ? m.pid : 0,
                   m.role.empty() ? "-" : m.role, m.paused && m.detail.empty() ? "paused" : m.detail);
    }
}

void run_up(const UpArgs& args, const fs::path& state_file) {
    std::error_code ec;
    if (fs::exists(state_file, ec)) {
        auto old = sandbox::Sandbox::attach(state_file);
        if (old.alive()) {
            throw std::runtime_error("a sandbox is already up (state file " + state_file.string() +
                                     ", supervisor pid " + std::to_string(old.state().supervisor_pid) +
                                     "): run `ucm sandbox down` first");
        }
    }
    const auto started = std::chrono::steady_clock::now();
    auto box = sandbox::Sandbox::start({
        .postgres = !args.no_postgres,
        .redis = !args.no_redis,
        .pgbouncer = args.pgbouncer,
        .sync_replication = args.sync_replication,
        .supervisor_exe = fs::read_symlink("/proc/self/exe"),
        .ready_timeout = std::chrono::seconds(args.ready_timeout_s),
        .tmp_root = args.tmp_root,
        .detached = true,  // outlives this command; `ucm sandbox down` stops it
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    sandbox::write_state_file(box.state(), state_file);
    if (!args.env_file.empty()) {
        std::ofstream env(args.env_file, std::ios::trunc);
        env << sandbox::env_exports(box.state());
        if (!env.flush()) throw std::runtime_error("cannot write " + args.env_file);
    }
    fmt::print("ucm sandbox up in {:.2f} s: {} (supervisor pid {})\n", seconds, box.state().dir.string(),
               box.state().supervisor_pid);
    print_members(box.state().members);
    fmt::print("state: {}{}\n", state_file.string(), args.env_file.empty() ? "" : "   env: " + args.env_file);
}

void run_down(const fs::path& state_file) {
    auto box = sandbox::Sandbox::attach(state_file);
    const int pid = box.state().supervisor_pid;
    std::string error;
    try {
        box.stop();
    } catch (const std::exception& e) {
        error = e.what();
    }
    fs::remove(state_file);
    if (!error.empty()) throw std::runtime_error(error);
    fmt::print("ucm sandbox down: supervisor {} and every server stopped\n", pid);
}

void run_status(const fs::path& state_file, bool as_json) {
    auto box = sandbox::Sandbox::attach(state_file);
    const auto members = box.status();
    if (as_json) {
        fmt::print("{}\n", sandbox::to_json(members));
        return;
    }
    fmt::print("sandbox {} (supervisor pid {})\n", box.state().dir.string(), box.state().supervisor_pid);
    print_members(members);
}

}  // namespace

void register_sandbox_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("sandbox", "Local PostgreSQL / Redis / Sentinel servers for tests");
    cmd->require_subcommand(1);
    auto state_file = std::make_shared<std::string>(default_sandbox_state_file());
    auto add_state_option = [&](CLI::App* sub) {
        sub->add_option("--state-file", *state_file, "state file of the sandbox")->capture_default_str();
    };

    auto up_args = std::make_shared<UpArgs>();
    auto* up = cmd->add_subcommand("up", "Start a sandbox in the background and wait until it is ready");
    add_state_option(up);
    up->add_option("--env-file", up_args->env_file, "also write `export UCM_TEST_...=` lines here");
    up->add_flag("--sync-replication", up_args->sync_replication, "pg1 is a synchronous standby");
    up->add_flag("--pgbouncer", up_args->pgbouncer, "PgBouncer (transaction pooling) in front of pg0");
    up->add_flag("--no-redis", up_args->no_redis, "no Redis, replica or sentinels");
    up->add_flag("--no-postgres", up_args->no_postgres, "no PostgreSQL");
    up->add_option("--ready-timeout", up_args->ready_timeout_s, "seconds for start-up")
        ->capture_default_str();
    up->add_option("--tmp-root", up_args->tmp_root, "parent of the sandbox directory")->capture_default_str();
    up->callback([up_args, state_file] { run_up(*up_args, *state_file); });

    auto* down = cmd->add_subcommand("down", "Stop every server of the sandbox and remove it");
    add_state_option(down);
    down->callback([state_file] { run_down(*state_file); });

    auto as_json = std::make_shared<bool>(false);
    auto* status = cmd->add_subcommand("status", "Members, PIDs, ports, live roles and replication");
    add_state_option(status);
    status->add_flag("--json", *as_json, "JSON output");
    status->callback([state_file, as_json] { run_status(*state_file, *as_json); });

    auto* env = cmd->add_subcommand("env", "Print `export UCM_TEST_...=` lines: eval \"$(ucm sandbox env)\"");
    add_state_option(env);
    env->callback([state_file] { std::cout << sandbox::env_exports(sandbox::read_state_file(*state_file)); });

    register_sandbox_operations(*cmd, state_file);
    register_sandbox_supervise(*cmd);
}

}  // namespace ucm::cli
