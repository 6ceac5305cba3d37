// The supervisor's children: spawning, reaping, waiting with deadlines, stopping, teardown.
#include "pg_probe.hpp"
#include "redis_probe.hpp"
#include "supervisor_impl.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kGracefulStop{15};
constexpr std::chrono::seconds kQuitStop{3};
constexpr std::chrono::seconds kKillStop{5};
constexpr std::chrono::milliseconds kRestartRetryDelay{200};

UniqueFd open_log(const fs::path& log) {
    UniqueFd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd.valid()) throw std::runtime_error("cannot open " + log.string() + ": " + errno_text(errno));
    return fd;
}

int stop_signal(Kind kind) { return kind == Kind::Postgres ? SIGINT : SIGTERM; }  // SIGINT: fast

Deadline sooner(Deadline a, std::chrono::steady_clock::duration from_now) {
    return std::min(a, Clock::now() + from_now);
}

}  // namespace

void Supervisor::spawn(Member& member) {
    UniqueFd log = open_log(member.log);
    member.pid = spawn_process({.argv = member_argv(member, dir_),
                                .stdin_fd = -1,
                                .stdout_fd = log.get(),
                                .stderr_fd = log.get(),
                                .new_session = false,
                                .new_process_group = false});
    member.paused = false;
    ++member.starts;
    note("started " + member.name + " (pid " + std::to_string(member.pid) + ", port " +
         std::to_string(member.port) + ")");
}

void Supervisor::pump() {
    signalfd_siginfo info{};
    while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        const auto sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGTERM || sig == SIGINT) {
            if (!stop_requested_) note(std::string("received ") + strsignal(sig));
            stop_requested_ = true;
        }
    }
    reap();
    if (args_.watch_stdin && stdin_open_) {
        pollfd pfd{STDIN_FILENO, POLLIN, 0};
        if (::poll(&pfd, 1, 0) > 0) {
            char buffer[256];
            ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                note("stdin closed: the process that started this sandbox is gone");
                stdin_open_ = false;
                stop_requested_ = true;
            }
        }
    }
}

void Supervisor::reap() {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;
        if (auto helper = helpers_.find(pid); helper != helpers_.end()) {
            helper->second = status;
            continue;
        }
        for (Member& m : members_) {
            if (m.pid != pid) continue;
            m.pid = 0;
            m.paused = false;
            m.last_wait_status = status;
            if (!torn_down_) note(m.name + " exited: " + describe_wait_status(status));
        }
        // Anything else was an orphan we adopted as subreaper; reaping it is all it needs.
    }
}

// Wakes early on a signal or stdin activity, and pumps them, so the next wait does not spin on a
// signalfd still readable for a SIGCHLD nobody read.
void Supervisor::sleep_for_events(int ms) {
    pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    nfds_t count = args_.watch_stdin && stdin_open_ ? 2 : 1;
    ::poll(fds, count, ms);
    pump();
}

void Supervisor::run_helper(std::string_view what, const std::vector<std::string>& argv, const fs::path& log,
                            Deadline deadline) {
    pid_t pid = 0;
    {
        UniqueFd fd = open_log(log);
        pid = spawn_process({.argv = argv,
                             .stdin_fd = -1,
                             .stdout_fd = fd.get(),
                             .stderr_fd = fd.get(),
                             .new_session = false,
                             .new_process_group = false});
    }
    helpers_[pid] = std::nullopt;
    note("running " + std::string(what) + " (pid " + std::to_string(pid) + ")");
    std::string problem;
    while (!helpers_[pid]) {
        pump();
        if (helpers_[pid]) break;
        if (stop_requested_ || Clock::now() >= deadline) {
            problem = stop_requested_ ? "was interrupted" : "timed out";
            ::kill(pid, SIGKILL);
            while (!helpers_[pid]) {
                sleep_for_events(10);
                pump();
            }
            break;
        }
        sleep_for_events(20);
    }
    const int status = *helpers_[pid];
    helpers_.erase(pid);
    if (problem.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (problem.empty()) problem = "failed (" + describe_wait_status(status) + ")";
    std::string message = std::string(what) + " " + problem + "\n--- last lines of " + log.string() +
                          " ---\n" + tail_lines(log);
    if (stop_requested_) throw Interrupted(message);
    throw std::runtime_error(message);
}

void Supervisor::wait_until(std::string_view what, const Member& member, Deadline deadline,
                            const Check& check) {
    std::string last = "not checked yet";
    for (;;) {
        pump();
        if (stop_requested_) throw Interrupted("interrupted while waiting until " + std::string(what));
        for (const Member& m : members_) {
            // During start-up every member must stay up; later only the one we wait for matters.
            const bool watched = starting_ ? m.starts > 0 : &m == &member;
            if (watched && !m.running()) {
                throw MemberExited(failure(m, "exited while waiting until " + std::string(what)));
            }
        }
        auto why = check();
        if (!why) return;
        last = *why;
        if (Clock::now() >= deadline) {
            throw std::runtime_error(
                failure(member, "timed out waiting until " + std::string(what) + "; last check: " + last));
        }
        sleep_for_events(20);
    }
}

bool Supervisor::wait_exit(const Member& member, Deadline deadline) {
    for (;;) {
        pump();
        if (!member.running()) return true;
        if (Clock::now() >= deadline) return false;
        sleep_for_events(10);
    }
}

std::optional<std::string> Supervisor::ready_check(const Member& member, Deadline deadline) const {
    std::string error;
    switch (member.kind) {
        case Kind::Postgres:
            if (!pg_try(member.port, "SELECT 1", deadline, error)) return error;
            return std::nullopt;
        case Kind::PgBouncer:
            // The admin console answers even while pg0 is down.
            if (!pg_try(member.port, "SHOW VERSION", deadline, error, "pgbouncer")) return error;
            return std::nullopt;
        case Kind::Redis:
        case Kind::Sentinel: {
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            auto pong = redis_command(
                member.port, {"PING"},
                std::clamp(ms, std::chrono::milliseconds(1), std::chrono::milliseconds(1000)), error);
            if (!pong) return error;
            return std::nullopt;
        }
    }
    return std::string("unknown kind");
}

void Supervisor::start_member(Member& member, Deadline deadline) {
    if (member.running()) throw std::runtime_error(member.name + " is already running");
    for (;;) {
        // Backends of a kill -9'd postmaster still attach its shared memory, and PostgreSQL will
        // not start on that data directory until they are gone.
        kill_strays(sooner(deadline, std::chrono::seconds(5)));
        spawn(member);
        try {
            wait_until(member.name + " is ready", member, deadline, [&]() -> std::optional<std::string> {
                return ready_check(member, sooner(deadline, std::chrono::seconds(1)));
            });
            return;
        } catch (const MemberExited&) {
            if (member.running() || Clock::now() + kRestartRetryDelay >= deadline) throw;
            note(member.name + " exited during start-up; retrying");
            sleep_for_events(static_cast<int>(kRestartRetryDelay.count()));
        }
    }
}

void Supervisor::stop_member(Member& member, Deadline deadline) {
    if (!member.running()) return;
    if (member.paused) signal_with_children(member.pid, SIGCONT);  // a stopped process acts on SIGTERM only later
    member.paused = false;
    ::kill(member.pid, stop_signal(member.kind));
    if (wait_exit(member, sooner(deadline, kGracefulStop))) return;
    if (member.kind == Kind::Postgres) {
        ::kill(member.pid, SIGQUIT);
        if (wait_exit(member, Clock::now() + kQuitStop)) return;
    }
    ::kill(member.pid, SIGKILL);
    if (!wait_exit(member, Clock::now() + kKillStop)) {
        throw std::runtime_error(member.name + " (pid " + std::to_string(member.pid) +
                                 ") did not exit after SIGKILL");
    }
}

void Supervisor::signal_member(Member& member, int signal) {
    if (!member.running()) throw std::runtime_error(member.name + " is not running");
    // SIGSTOP/SIGCONT go to the server and its children: stopping only a postmaster would leave
    // its backends and its WAL receiver running, which is not a stalled server. (Each backend is
    // its own process group leader, so kill(-pid) would not reach them.)
    const bool with_children = signal == SIGSTOP || signal == SIGCONT;
    if ((with_children ? signal_with_children(member.pid, signal) : ::kill(member.pid, signal)) != 0) {
        throw std::runtime_error("kill " + member.name + ": " + errno_text(errno));
    }
    if (signal == SIGSTOP) member.paused = true;
    if (signal == SIGCONT) member.paused = false;
    if (signal == SIGKILL && !wait_exit(member, Clock::now() + kKillStop)) {
        throw std::runtime_error(member.name + " did not exit after SIGKILL");
    }
}

void Supervisor::kill_strays(Deadline deadline) {
    for (;;) {
        pump();
        std::vector<pid_t> strays;
        for (pid_t child : children_of(self_)) {
            bool known = helpers_.count(child) > 0;
            for (const Member& m : members_) known = known || m.pid == child;
            if (!known) strays.push_back(child);
        }
        if (strays.empty() || Clock::now() >= deadline) return;
        for (pid_t pid : strays) ::kill(pid, SIGKILL);
        sleep_for_events(10);
    }
}

void Supervisor::teardown() noexcept {
    if (torn_down_) return;
    torn_down_ = true;
    try {
        // Everyone at once: a sequential stop would cost the sum of the shutdowns.
        for (Member& m : members_) {
            if (!m.running()) continue;
            if (m.paused) signal_with_children(m.pid, SIGCONT);
            ::kill(m.pid, stop_signal(m.kind));
        }
        auto wait_all = [&](Deadline until) {
            for (const Member& m : members_) wait_exit(m, until);
        };
        wait_all(Clock::now() + kGracefulStop);
        for (Member& m : members_) {
            if (m.running() && m.kind == Kind::Postgres) ::kill(m.pid, SIGQUIT);
        }
        wait_all(Clock::now() + kQuitStop);
        for (Member& m : members_) {
            if (m.running()) ::kill(m.pid, SIGKILL);
        }
        wait_all(Clock::now() + kKillStop);
        helpers_.clear();  // whatever is still a child now is killed below
        kill_strays(Clock::now() + kKillStop);
    } catch (const std::exception& e) {
        note(std::string("teardown: ") + e.what());
    }
    if (ports_) ports_->release();
    if (!dir_.empty()) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
        if (ec) note("cannot remove " + dir_.string() + ": " + ec.message());
    }
    note("torn down");
}

std::string Supervisor::failure(const Member& member, std::string_view what) const {
    std::string message = member.name + " (" + kind_name(member.kind) +
                          " on 127.0.0.1:" + std::to_string(member.port) + ") " + std::string(what);
    if (!member.running() && member.starts > 0) {
        message += " [" + describe_wait_status(member.last_wait_status) + "]";
    }
    return message + "\n--- last lines of " + member.log.string() + " ---\n" + tail_lines(member.log);
}

}  // namespace ucm::sandbox::detail
