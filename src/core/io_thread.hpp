#pragma once
// ucm's internal executor: one io_context and the one thread that runs it. The Sentinel watcher
// runs on it, and a service without an io_context of its own may run its coroutines on it
// (UnifiedConnectionManager::executor()). Nothing on it may block.

#include <asio/any_io_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <thread>

namespace ucm {

/// Thread safety: safe to share. Lifetime: runs until stop(); the thread holds a reference, so the
/// object may be released anywhere, including by a handler on the thread itself. Handlers still
/// queued at stop() are destroyed with the io_context, never run.
class IoThread : public std::enable_shared_from_this<IoThread> {
public:
    [[nodiscard]] static std::shared_ptr<IoThread> start();
    ~IoThread();
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;

    [[nodiscard]] asio::io_context& context() noexcept { return io_; }
    [[nodiscard]] asio::any_io_executor executor() noexcept { return io_.get_executor(); }
    /// Ends the thread after the handler it is running; joins it unless called on it. Idempotent.
    void stop();

private:
    IoThread() = default;

    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
    std::thread thread_;
    std::once_flag stopped_;
};

}  // namespace ucm
