#pragma once

#include <ucm/sandbox/sandbox.hpp>

namespace ucm::sandbox {

/// What `ucm sandbox supervise` was asked to run.
struct SupervisorArgs {
    Options options{};         ///< supervisor_exe and detached are the client's business
    bool watch_stdin = false;  ///< stop everything when stdin reaches EOF (the spawner is gone)
};

/// Runs a sandbox supervisor in this process until `down`, SIGTERM/SIGINT or (with watch_stdin)
/// EOF on stdin, and returns the process exit code.
///
/// Prints exactly one JSON line on stdout: the State once every member is ready, or
/// {"ok":false,"error":...} after a failed start-up has been cleaned up. Then serves
/// `<dir>/control.sock` (one JSON request line, one JSON reply line). Single-threaded; when run
/// as root it drops to the `postgres` user first, so every server runs unprivileged as its child.
int run_supervisor(const SupervisorArgs& args);

}  // namespace ucm::sandbox
