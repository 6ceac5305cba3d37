#pragma once

#include "unique_fd.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace ucm::sandbox::detail {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

/// Milliseconds left until `deadline`, clamped to [0, cap] so it fits poll()'s int.
int ms_until(Deadline deadline, int cap = 1000);

/// What posix_spawn needs. A descriptor of -1 means /dev/null.
struct SpawnSpec {
    std::vector<std::string> argv{};
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    bool new_session = false;        ///< setsid(): survives the spawner's terminal and process group
    bool new_process_group = false;  ///< a terminal's Ctrl-C does not reach it
};

/// posix_spawn with a clean signal state and only fds 0-2 inherited. Throws std::runtime_error.
pid_t spawn_process(const SpawnSpec& spec);

/// A pipe whose both ends are close-on-exec, so no unrelated child inherits them. [0] reads.
std::pair<UniqueFd, UniqueFd> make_pipe();

/// `strerror(errno)` as a string, for messages.
std::string errno_text(int error);

std::string read_file(const std::filesystem::path& file);
void write_file(const std::filesystem::path& file, std::string_view text);
void append_file(const std::filesystem::path& file, std::string_view text);
/// The last `count` lines of a log file, or a note that it cannot be read.
std::string tail_lines(const std::filesystem::path& file, std::size_t count = 20);
std::string tail_text(std::string_view text, std::size_t count);

/// Describes a waitpid() status: "exit code 1", "killed by signal 9".
std::string describe_wait_status(int status);

/// True while `pid` exists and is not a zombie (a zombie is dead but not yet reaped).
bool process_alive(pid_t pid);

/// The children of `parent` from /proc (reparented orphans included, for a subreaper).
std::vector<pid_t> children_of(pid_t parent);

/// Sends `signal` to `pid` and then to each of its children (a postmaster's backends and WAL
/// processes); returns kill()'s result for `pid` itself.
int signal_with_children(pid_t pid, int signal);

/// Single-quotes a value for a POSIX shell.
std::string shell_quote(std::string_view value);

}  // namespace ucm::sandbox::detail
