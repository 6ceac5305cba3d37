#include "core/fork_guard.hpp"

#include <pthread.h>

#include <atomic>

namespace ucm {
namespace {

std::atomic<std::uint64_t> generation{0};

void on_fork_child() noexcept { generation.fetch_add(1, std::memory_order_relaxed); }

const bool registered = [] {
    pthread_atfork(nullptr, nullptr, on_fork_child);
    return true;
}();

}  // namespace

std::uint64_t fork_generation() noexcept {
    (void)registered;
    return generation.load(std::memory_order_relaxed);
}

}  // namespace ucm
