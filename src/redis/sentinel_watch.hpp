#pragma once
// The tracker's view of the Sentinel watcher: the watcher and the io_context thread it runs on,
// with the watcher's callbacks reduced to what the tracker acts on.

#include <ucm/core/endpoint.hpp>
#include <ucm/core/redis_options.hpp>
#include <ucm/health/health_report.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace ucm {
class IoThread;
}

namespace ucm::redis {

/// Thread safety: safe to share; events arrive on the watch's own thread.
class SentinelWatch {
public:
    struct Events {
        std::function<void(const Endpoint& old_master, const Endpoint& new_master)> switched;
        std::function<void(bool started)> failover;  ///< started, or aborted
        std::function<void(const Endpoint& address)> master_address;  ///< a poll's answer
        std::function<void()> resubscribed;           ///< a (re)subscription was confirmed
    };

    /// Runs on `io` (ucm's internal executor, shared), or on a thread of its own when null.
    SentinelWatch(const RedisSentinel& sentinel, std::chrono::milliseconds probe_timeout, Events events,
                  std::shared_ptr<IoThread> io = nullptr);
    ~SentinelWatch();
    SentinelWatch(const SentinelWatch&) = delete;
    SentinelWatch& operator=(const SentinelWatch&) = delete;

    void stop();
    /// Waits until every sentinel has been reached or has failed once, or until `deadline`, so a
    /// health report made right after start says something definite about each.
    void await_first_contact(std::chrono::steady_clock::time_point deadline) const;
    [[nodiscard]] std::vector<SentinelHealth> health() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ucm::redis
