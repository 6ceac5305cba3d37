#pragma once
// A background job that runs a function every `interval` on its own thread until stopped
// (userver's PeriodicTask). stop() wakes it at once; it never runs the function after stop()
// returns.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ucm {

/// Thread safety: start() and stop() from the owning thread; the function runs on the task's.
class PeriodicTask {
public:
    PeriodicTask() = default;
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;
    ~PeriodicTask() { stop(); }

    void start(std::chrono::milliseconds interval, std::function<void()> fn);
    void stop();

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ucm
