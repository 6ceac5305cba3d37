#pragma once

#include "unique_fd.hpp"

#include <ucm/sandbox/sandbox.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>

namespace ucm::sandbox {

struct Sandbox::Impl {
    State state{};
    bool owned = false;  ///< this handle must stop the supervisor (it started it, not detached)
    bool stopped = false;
    pid_t child = 0;              ///< the supervisor's PID while it is this process's child, to waitpid
    detail::UniqueFd lifeline{};  ///< write end of the supervisor's stdin: closing it stops it

    /// Sends `request`; throws std::runtime_error with `what` and the supervisor's error unless ok.
    nlohmann::json call(const nlohmann::json& request, std::string_view what,
                        std::chrono::milliseconds timeout = std::chrono::minutes(5));
};

namespace detail {

/// A supervisor that reported ready.
struct Launched {
    State state{};
    pid_t child = 0;
    UniqueFd lifeline{};  ///< invalid for a detached supervisor
};

/// Spawns `ucm sandbox supervise` and waits for its ready line (sandbox_launch.cpp).
Launched launch_supervisor(const Options& options);

}  // namespace detail

}  // namespace ucm::sandbox
