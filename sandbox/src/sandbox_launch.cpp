// Sandbox::start(): spawn the supervisor with pipes and wait for its one ready line.
#include "posix_util.hpp"
#include "sandbox_impl.hpp"
#include "state_json.hpp"

#include <cerrno>
#include <cstdlib>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The supervisor enforces ready_timeout itself; this margin covers its teardown after a failure.
constexpr std::chrono::seconds kReadyMargin{30};
constexpr std::chrono::seconds kExitWait{60};

fs::path resolve_supervisor_exe(const Options& options) {
    if (!options.supervisor_exe.empty()) return options.supervisor_exe;
    if (const char* exe = std::getenv("UCM_SANDBOX_EXE"); exe != nullptr && *exe != '\0') return exe;
    if (const char* path = std::getenv("PATH")) {
        std::istringstream dirs(path);
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            fs::path candidate = fs::path(dir.empty() ? "." : dir) / "ucm";
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
    }
    throw std::runtime_error(
        "cannot find the `ucm` binary to supervise the sandbox: set Options::supervisor_exe or "
        "$UCM_SANDBOX_EXE");
}

std::vector<std::string> supervisor_argv(const Options& options) {
    std::vector<std::string> argv = {resolve_supervisor_exe(options).string(),
                                     "sandbox",
                                     "supervise",
                                     "--ready-timeout",
                                     std::to_string(options.ready_timeout.count()),
                                     "--tmp-root",
                                     options.tmp_root.string()};
    if (!options.postgres) argv.emplace_back("--no-postgres");
    if (!options.redis) argv.emplace_back("--no-redis");
    if (options.pgbouncer) argv.emplace_back("--pgbouncer");
    if (options.sync_replication) argv.emplace_back("--sync-replication");
    if (!options.detached) argv.emplace_back("--watch-stdin");
    return argv;
}

// waitpid with a deadline; SIGKILL as the last resort. Returns the wait status.
int wait_child(pid_t pid, std::chrono::seconds limit) {
    const Deadline deadline = Clock::now() + limit;
    int status = 0;
    for (;;) {
        pid_t rc = ::waitpid(pid, &status, WNOHANG);
        if (rc == pid || (rc < 0 && errno == ECHILD)) return status;
        if (Clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return status;
        }
        ::usleep(10'000);
    }
}

struct SupervisorOutput {
    std::string line;  ///< the first stdout line, empty if stdout closed first
    std::string stderr_text;
    bool timed_out = false;
};

SupervisorOutput read_ready_line(int out_fd, int err_fd, Deadline deadline) {
    SupervisorOutput output;
    std::string out_text;
    bool out_open = true;
    bool err_open = true;
    char buffer[4096];
    while (out_open && out_text.find('\n') == std::string::npos) {
        pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
        int rc = ::poll(fds, 2, ms_until(deadline));
        if (rc == 0 && Clock::now() >= deadline) {
            output.timed_out = true;
            break;
        }
        if (rc <= 0) continue;
        if (fds[0].revents != 0) {
            ssize_t n = ::read(out_fd, buffer, sizeof buffer);
            if (n > 0) out_text.append(buffer, static_cast<std::size_t>(n));
            if (n == 0 || (n < 0 && errno != EINTR)) out_open = false;
        }
        if (err_open && fds[1].revents != 0) {
            ssize_t n = ::read(err_fd, buffer, sizeof buffer);
            if (n > 0) output.stderr_text.append(buffer, static_cast<std::size_t>(n));
            if (n == 0 || (n < 0 && errno != EINTR)) err_open = false;
        }
    }
    if (auto newline = out_text.find('\n'); newline != std::string::npos) {
        output.line = out_text.substr(0, newline);
        return output;
    }
    // Stdout closed without a line: the supervisor died. Its last words are on stderr.
    const Deadline drain = std::min(deadline, Clock::now() + std::chrono::seconds(2));
    while (err_open && !output.timed_out) {
        pollfd pfd{err_fd, POLLIN, 0};
        if (::poll(&pfd, 1, ms_until(drain)) <= 0) break;
        ssize_t n = ::read(err_fd, buffer, sizeof buffer);
        if (n <= 0) break;
        output.stderr_text.append(buffer, static_cast<std::size_t>(n));
    }
    return output;
}

std::string progress_tail(const SupervisorOutput& output) {
    if (output.stderr_text.empty()) return {};
    return "\n--- supervisor progress ---\n" + tail_text(output.stderr_text, 15);
}

}  // namespace

Launched launch_supervisor(const Options& options) {
    const std::vector<std::string> argv = supervisor_argv(options);
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();
    UniqueFd in_read;
    UniqueFd in_write;
    if (!options.detached) std::tie(in_read, in_write) = make_pipe();

    const pid_t pid = spawn_process({.argv = argv,
                                     .stdin_fd = in_read.get(),
                                     .stdout_fd = out_write.get(),
                                     .stderr_fd = err_write.get(),
                                     .new_session = options.detached,
                                     .new_process_group = !options.detached});
    out_write.reset();
    err_write.reset();
    in_read.reset();

    const Deadline deadline = Clock::now() + options.ready_timeout + kReadyMargin;
    SupervisorOutput output = read_ready_line(out_read.get(), err_read.get(), deadline);
    if (output.timed_out) {
        ::kill(pid, SIGTERM);  // it stops what it started, then exits
        int status = wait_child(pid, kExitWait);
        throw std::runtime_error("sandbox supervisor (pid " + std::to_string(pid) +
                                 ") was not ready within " +
                                 std::to_string((options.ready_timeout + kReadyMargin).count()) + " s (" +
                                 describe_wait_status(status) + ")" + progress_tail(output));
    }
    if (output.line.empty()) {
        int status = wait_child(pid, kExitWait);
        throw std::runtime_error("sandbox supervisor `" + argv[0] + " sandbox supervise` exited (" +
                                 describe_wait_status(status) + ") before it was ready" +
                                 progress_tail(output));
    }
    json reply;
    try {
        reply = json::parse(output.line);
    } catch (const json::exception& e) {
        ::kill(pid, SIGTERM);
        wait_child(pid, kExitWait);
        throw std::runtime_error("sandbox supervisor printed no JSON (" + std::string(e.what()) +
                                 "): " + output.line);
    }
    if (!reply.value("ok", false)) {
        wait_child(pid, kExitWait);
        throw std::runtime_error(
            "sandbox start failed: " + reply.value("error", std::string("no reason given")) +
            progress_tail(output));
    }
    return Launched{.state = reply.get<State>(), .child = pid, .lifeline = std::move(in_write)};
}

}  // namespace ucm::sandbox::detail
