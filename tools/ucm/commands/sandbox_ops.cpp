// `ucm sandbox kill|stop|start|restart|pause|resume|promote|reattach|failover` on a sandbox started
// by `ucm sandbox up`, and the internal `ucm sandbox supervise` that runs the supervisor process.
#include "commands/commands.hpp"

#include <ucm/sandbox/sandbox.hpp>
#include <ucm/sandbox/supervisor.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstring>
#include <stdexcept>

namespace ucm::cli {

void register_sandbox_operations(CLI::App& sandbox, const std::shared_ptr<std::string>& state_file);
void register_sandbox_supervise(CLI::App& sandbox);

namespace {

struct OpArgs {
    std::string member;
    std::string other;
    std::string signal = "KILL";
    bool no_wait = false;
};

int parse_signal(const std::string& text) {
    if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) != 0) return std::stoi(text);
    std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev != nullptr && name == abbrev) return sig;
    }
    throw std::runtime_error("unknown signal " + text);
}

}  // namespace

void register_sandbox_operations(CLI::App& sandbox, const std::shared_ptr<std::string>& state_file) {
    auto args = std::make_shared<OpArgs>();
    auto add = [&](const char* name, const char* help, auto action) {
        auto* sub = sandbox.add_subcommand(name, help);
        sub->add_option("--state-file", *state_file, "state file of the sandbox")->capture_default_str();
        sub->callback([state_file, args, action, name] {
            auto box = sandbox::Sandbox::attach(*state_file);
            action(box, *args);
            fmt::print("ucm sandbox {}: done\n", name);
        });
        return sub;
    };
    auto member_arg = [&](CLI::App* sub) {
        sub->add_option("MEMBER", args->member, "pg0, redis1, ...")->required();
    };

    auto* kill =
        add("kill", "Send a signal to a member's own PID (default SIGKILL)",
            [](sandbox::Sandbox& box, const OpArgs& a) { box.kill(a.member, parse_signal(a.signal)); });
    member_arg(kill);
    kill->add_option("-s,--signal", args->signal, "KILL, TERM, 9, ...")->capture_default_str();
    member_arg(add("stop", "Stop a member cleanly and wait until it has exited",
                   [](sandbox::Sandbox& box, const OpArgs& a) { box.stop_member(a.member); }));
    member_arg(add("start", "Start a stopped member and wait until it is ready",
                   [](sandbox::Sandbox& box, const OpArgs& a) { box.start_member(a.member); }));
    member_arg(add("restart", "Stop and start a member",
                   [](sandbox::Sandbox& box, const OpArgs& a) { box.restart_member(a.member); }));
    member_arg(add("pause", "SIGSTOP a member",
                   [](sandbox::Sandbox& box, const OpArgs& a) { box.pause(a.member); }));
    member_arg(add("resume", "SIGCONT a paused member",
                   [](sandbox::Sandbox& box, const OpArgs& a) { box.resume(a.member); }));
    auto* promote = add("promote", "Promote a PostgreSQL standby (turns synchronous replication off on it)",
                        [](sandbox::Sandbox& box, const OpArgs& a) { box.promote(a.member, !a.no_wait); });
    member_arg(promote);
    promote->add_flag("--no-wait", args->no_wait, "return once the promotion was requested");
    auto* reattach = add("reattach", "pg_rewind OLD from NEW and start it as NEW's standby",
                         [](sandbox::Sandbox& box, const OpArgs& a) { box.reattach(a.member, a.other); });
    reattach->add_option("OLD", args->member, "the former primary")->required();
    reattach->add_option("NEW", args->other, "the current primary")->required();
    add("failover", "SENTINEL FAILOVER mymaster on a reachable sentinel",
        [](sandbox::Sandbox& box, const OpArgs&) { box.sentinel_failover(); });
}

void register_sandbox_supervise(CLI::App& sandbox) {
    auto args = std::make_shared<sandbox::SupervisorArgs>();
    auto tmp_root = std::make_shared<std::string>(args->options.tmp_root.string());
    auto ready_timeout = std::make_shared<int>(static_cast<int>(args->options.ready_timeout.count()));
    auto no_postgres = std::make_shared<bool>(false);
    auto no_redis = std::make_shared<bool>(false);
    auto* sub = sandbox.add_subcommand("supervise", "internal: run a sandbox supervisor in this process");
    sub->group("");  // hidden: Sandbox::start() and `ucm sandbox up` run it
    sub->add_flag("--no-postgres", *no_postgres);
    sub->add_flag("--no-redis", *no_redis);
    sub->add_flag("--pgbouncer", args->options.pgbouncer);
    sub->add_flag("--sync-replication", args->options.sync_replication);
    sub->add_flag("--watch-stdin", args->watch_stdin, "stop everything at EOF on stdin");
    sub->add_option("--tmp-root", *tmp_root);
    sub->add_option("--ready-timeout", *ready_timeout);
    sub->callback([=] {
        args->options.postgres = !*no_postgres;
        args->options.redis = !*no_redis;
        args->options.tmp_root = *tmp_root;
        args->options.ready_timeout = std::chrono::seconds(*ready_timeout);
        if (int rc = sandbox::run_supervisor(*args); rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace ucm::cli
