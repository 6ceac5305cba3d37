#include "core/periodic_task.hpp"

namespace ucm {

void PeriodicTask::start(std::chrono::milliseconds interval, std::function<void()> fn) {
    stop();
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this, interval, fn = std::move(fn)] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
            lock.unlock();
            try {
                fn();
            } catch (...) {
                // A background job must never take the process down; its own code logs.
            }
            lock.lock();
        }
    });
}

void PeriodicTask::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace ucm
