#include "posix_util.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;

int ms_until(Deadline deadline, int cap) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, cap));
}

std::string errno_text(int error) { return std::strerror(error); }

namespace {

// RAII for the two posix_spawn objects, which must be destroyed on every path.
struct SpawnObjects {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnObjects() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnObjects() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnObjects(const SpawnObjects&) = delete;
    SpawnObjects& operator=(const SpawnObjects&) = delete;
};

void redirect(posix_spawn_file_actions_t& actions, int fd, int target, int null_flags) {
    if (fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, fd, target);  // dup2 onto itself clears CLOEXEC
    } else {
        posix_spawn_file_actions_addopen(&actions, target, "/dev/null", null_flags, 0);
    }
}

}  // namespace

pid_t spawn_process(const SpawnSpec& spec) {
    if (spec.argv.empty()) throw std::runtime_error("spawn: empty command");
    SpawnObjects objects;
    redirect(objects.actions, spec.stdin_fd, 0, O_RDONLY);
    redirect(objects.actions, spec.stdout_fd, 1, O_WRONLY);
    redirect(objects.actions, spec.stderr_fd, 2, O_WRONLY);
    // A descriptor leaked by the spawner (a test runner's pipe) would keep it waiting for EOF.
    posix_spawn_file_actions_addclosefrom_np(&objects.actions, 3);

    // The spawner may block or ignore signals (the supervisor blocks SIGCHLD/SIGTERM for its
    // signalfd, ucm ignores SIGPIPE); both are inherited across exec, so reset them.
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
        sigaddset(&defaults, sig);
    }
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (spec.new_session) {
        flags = static_cast<short>(flags | POSIX_SPAWN_SETSID);
    } else if (spec.new_process_group) {
        flags = static_cast<short>(flags | POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&objects.attr, 0);
    }
    posix_spawnattr_setflags(&objects.attr, flags);
    posix_spawnattr_setsigmask(&objects.attr, &empty);
    posix_spawnattr_setsigdefault(&objects.attr, &defaults);

    std::vector<char*> argv;
    argv.reserve(spec.argv.size() + 1);
    for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &objects.actions, &objects.attr, argv.data(), environ);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + spec.argv[0] + ": " + errno_text(rc));
    }
    return pid;
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + errno_text(errno));
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const fs::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

void append_file(const fs::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary | std::ios::app);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

std::string tail_text(std::string_view text, std::size_t count) {
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::size_t start = text.size();
    for (std::size_t lines = 0; start > 0; --start) {
        if (text[start - 1] == '\n' && ++lines == count) break;
    }
    return std::string(text.substr(start));
}

std::string tail_lines(const fs::path& file, std::size_t count) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return "(no log at " + file.string() + ")";
    try {
        std::string text = read_file(file);
        if (text.empty()) return "(" + file.string() + " is empty)";
        return tail_text(text, count);
    } catch (const std::exception& e) {
        return std::string("(") + e.what() + ")";
    }
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
               ")";
    }
    return "wait status " + std::to_string(status);
}

namespace {

// Fields of /proc/<pid>/stat after the command name, which may itself contain spaces and ')'.
bool read_stat(pid_t pid, char& state, pid_t& ppid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return false;
    auto close = line.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream rest(line.substr(close + 1));
    long parent = 0;
    if (!(rest >> state >> parent)) return false;
    ppid = static_cast<pid_t>(parent);
    return true;
}

}  // namespace

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    char state = '?';
    pid_t ppid = 0;
    if (!read_stat(pid, state, ppid)) return false;
    return state != 'Z' && state != 'X';
}

int signal_with_children(pid_t pid, int signal) {
    // The parent first: a stopped postmaster forks no new backend while its children are stopped.
    const int rc = ::kill(pid, signal);
    for (pid_t child : children_of(pid)) ::kill(child, signal);
    return rc;
}

std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        auto pid = static_cast<pid_t>(std::stol(name));
        char state = '?';
        pid_t ppid = 0;
        if (read_stat(pid, state, ppid) && ppid == parent) children.push_back(pid);
    }
    return children;
}

std::string shell_quote(std::string_view value) {
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

}  // namespace ucm::sandbox::detail
