// The Sandbox handle: start/attach, stop, and the operations, each one request to the supervisor.
#include "control_client.hpp"
#include "posix_util.hpp"
#include "sandbox_impl.hpp"
#include "sandbox_reclaim.hpp"
#include "state_json.hpp"

#include <ucm/sandbox/sandbox.hpp>
#include <ucm/sandbox/state_json.hpp>

#include <cerrno>
#include <signal.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace ucm::sandbox {
namespace fs = std::filesystem;
using detail::Clock;
using nlohmann::json;

namespace {

constexpr std::chrono::seconds kDownTimeout{120};
constexpr std::chrono::seconds kExitTimeout{60};
constexpr std::chrono::seconds kTermTimeout{30};

// Waits for the supervisor to be gone: waitpid when it is our child, else until its PID is free
// or a zombie (PID 1 here reaps orphans 1-2 s late). Returns false if it is still there.
bool wait_gone(pid_t pid, bool child, std::chrono::seconds limit, int& status) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        if (child) {
            pid_t rc = ::waitpid(pid, &status, WNOHANG);
            if (rc == pid || (rc < 0 && errno == ECHILD)) return true;
        } else if (!detail::process_alive(pid)) {
            return true;
        }
        if (Clock::now() >= deadline) return false;
        ::usleep(10'000);
    }
}

}  // namespace

json Sandbox::Impl::call(const json& request, std::string_view what, std::chrono::milliseconds timeout) {
    json reply = detail::control_request(state.control_socket, request, timeout);
    if (!reply.value("ok", false)) {
        throw std::runtime_error("sandbox " + std::string(what) + ": " +
                                 reply.value("error", std::string("failed without a reason")));
    }
    return reply;
}

Sandbox::Sandbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sandbox::Sandbox(Sandbox&&) noexcept = default;

Sandbox& Sandbox::operator=(Sandbox&& other) noexcept {
    if (this != &other) {
        if (impl_ && impl_->owned && !impl_->stopped) {
            try {
                stop();
            } catch (const std::exception&) {
                // The closed lifeline still makes the supervisor stop everything.
            }
        }
        impl_ = std::move(other.impl_);
    }
    return *this;
}

Sandbox::~Sandbox() {
    if (!impl_ || !impl_->owned || impl_->stopped) return;
    try {
        stop();
    } catch (const std::exception&) {
        // Destructors must not throw; the supervisor still sees its stdin close and cleans up.
    }
}

Sandbox Sandbox::start(const Options& options) {
    detail::Launched launched = detail::launch_supervisor(options);
    auto impl = std::make_unique<Impl>();
    impl->state = std::move(launched.state);
    impl->owned = !options.detached;
    impl->child = launched.child;
    impl->lifeline = std::move(launched.lifeline);
    return Sandbox(std::move(impl));
}

Sandbox Sandbox::attach(const fs::path& state_file) {
    auto impl = std::make_unique<Impl>();
    impl->state = read_state_file(state_file);
    return Sandbox(std::move(impl));
}

void Sandbox::stop() {
    if (!impl_) throw std::logic_error("Sandbox: moved-from handle");
    if (impl_->stopped) return;
    impl_->stopped = true;
    const pid_t pid = impl_->state.supervisor_pid;
    const bool child = impl_->child == pid;
    std::string error;
    try {
        impl_->call({{"op", "down"}}, "down", kDownTimeout);
    } catch (const std::exception& e) {
        error = e.what();
    }
    impl_->lifeline.reset();  // EOF on its stdin: a supervisor that missed `down` stops anyway
    int status = 0;
    if (!wait_gone(pid, child, kExitTimeout, status)) {
        ::kill(pid, SIGTERM);
        if (!wait_gone(pid, child, kTermTimeout, status)) {
            ::kill(pid, SIGKILL);  // last resort: its servers may be left behind
            wait_gone(pid, child, kTermTimeout, status);
            throw std::runtime_error(
                "sandbox supervisor " + std::to_string(pid) + " did not stop and was killed; " +
                detail::reclaim_orphaned_sandbox(impl_->state) + (error.empty() ? "" : " (" + error + ")"));
        }
    }
    impl_->child = 0;
    if (std::string reclaimed = detail::reclaim_orphaned_sandbox(impl_->state); !reclaimed.empty()) {
        throw std::runtime_error("sandbox supervisor " + std::to_string(pid) + " was gone: " + reclaimed +
                                 (error.empty() ? "" : " (" + error + ")"));
    }
    if (child && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        throw std::runtime_error("sandbox supervisor " + std::to_string(pid) + " ended with " +
                                 detail::describe_wait_status(status) + (error.empty() ? "" : ": " + error));
    }
    // An attached handle may find the supervisor already gone after a clean teardown (SIGTERM):
    // with its directory removed, the sandbox is down and there is nothing to report.
    std::error_code ec;
    if (!error.empty() && !child && fs::exists(impl_->state.dir, ec)) throw std::runtime_error(error);
}

bool Sandbox::alive() {
    try {
        return detail::control_request(impl_->state.control_socket, {{"op", "status"}, {"live", false}},
                                       std::chrono::seconds(2))
            .value("ok", false);
    } catch (const std::exception&) {
        return false;
    }
}

const State& Sandbox::state() const { return impl_->state; }
const std::map<std::string, std::string>& Sandbox::env() const { return impl_->state.env; }

std::vector<MemberStatus> Sandbox::status() {
    json reply = impl_->call({{"op", "status"}, {"live", true}}, "status");
    return reply.at("members").get<std::vector<MemberStatus>>();
}

int Sandbox::port(std::string_view member) const {
    for (const auto& m : impl_->state.members) {
        if (m.name == member) return m.port;
    }
    throw std::runtime_error("sandbox has no member " + std::string(member));
}

int Sandbox::pid(std::string_view member) {
    json reply = impl_->call({{"op", "status"}, {"live", false}}, "status");
    for (const auto& m : reply.at("members").get<std::vector<MemberStatus>>()) {
        if (m.name == member) return m.pid;
    }
    throw std::runtime_error("sandbox has no member " + std::string(member));
}

std::string Sandbox::pg_uri(std::string_view member) const {
    for (const auto& m : impl_->state.members) {
        if (m.name != member) continue;
        if (m.kind != "postgres" && m.kind != "pgbouncer") {
            throw std::runtime_error(std::string(member) + " is not a PostgreSQL member");
        }
        return "postgresql://postgres@127.0.0.1:" + std::to_string(m.port) + "/postgres";
    }
    throw std::runtime_error("sandbox has no member " + std::string(member));
}

void Sandbox::kill(std::string_view member, int signal) {
    impl_->call({{"op", "kill"}, {"member", member}, {"signal", signal}},
                "kill -" + std::to_string(signal) + " " + std::string(member));
}

void Sandbox::stop_member(std::string_view member) {
    impl_->call({{"op", "stop"}, {"member", member}}, "stop " + std::string(member));
}

void Sandbox::start_member(std::string_view member) {
    impl_->call({{"op", "start"}, {"member", member}}, "start " + std::string(member));
}

void Sandbox::restart_member(std::string_view member) {
    impl_->call({{"op", "restart"}, {"member", member}}, "restart " + std::string(member));
}

void Sandbox::pause(std::string_view member) {
    impl_->call({{"op", "pause"}, {"member", member}}, "pause " + std::string(member));
}

void Sandbox::resume(std::string_view member) {
    impl_->call({{"op", "resume"}, {"member", member}}, "resume " + std::string(member));
}

void Sandbox::promote(std::string_view standby, bool wait) {
    impl_->call({{"op", "promote"}, {"member", standby}, {"wait", wait}}, "promote " + std::string(standby));
}

void Sandbox::reattach(std::string_view old_primary, std::string_view new_primary) {
    impl_->call({{"op", "reattach"}, {"old", old_primary}, {"new", new_primary}},
                "reattach " + std::string(old_primary) + " to " + std::string(new_primary));
}

void Sandbox::sentinel_failover() { impl_->call({{"op", "sentinel_failover"}}, "sentinel failover"); }

}  // namespace ucm::sandbox
