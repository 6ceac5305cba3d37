#pragma once

#include <ucm/sandbox/sandbox.hpp>

#include <string>

namespace ucm::sandbox::detail {

/// When the sandbox directory outlived its supervisor, SIGKILLs the members recorded in `state`
/// that are still alive (checked by command line, not PID alone) and removes the directory.
/// Returns what it did, or "" when there was nothing to reclaim. Only for a supervisor known dead.
std::string reclaim_orphaned_sandbox(const State& state);

}  // namespace ucm::sandbox::detail
