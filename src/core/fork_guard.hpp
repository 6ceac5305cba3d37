#pragma once
// Detects use after fork() without a getpid() system call per acquire (glibc no longer caches
// the pid): a pthread_atfork child handler bumps a process-wide counter that objects compare.

#include <cstdint>

namespace ucm {

/// The number of fork()s this process descends from since ucm was loaded; changes in a child.
std::uint64_t fork_generation() noexcept;

}  // namespace ucm
