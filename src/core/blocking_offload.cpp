#include "core/blocking_offload.hpp"

#include <asio/thread_pool.hpp>

namespace ucm {
namespace {

// Enough for the connects of a pool filling up at once without one slow host holding the rest;
// connects to a dead host end at connect_timeout. Never destroyed: work may still be posted while
// static objects are torn down at exit, and the idle threads do not hold the process open.
constexpr std::size_t kBlockingThreads = 4;
constexpr std::size_t kCleanupThreads = 2;

}  // namespace

asio::thread_pool& blocking_threads() {
    static auto* threads = new asio::thread_pool(kBlockingThreads);  // NOLINT(cppcoreguidelines-owning-memory)
    return *threads;
}

asio::thread_pool& cleanup_threads() {
    static auto* threads = new asio::thread_pool(kCleanupThreads);  // NOLINT(cppcoreguidelines-owning-memory)
    return *threads;
}

}  // namespace ucm
