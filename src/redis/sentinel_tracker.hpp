#pragma once
// Follows a Sentinel-managed master for the manager: the first discovery, the watcher's
// announcements (switch at once; fence master writes from the first failover-progress event until
// the switch or an abort), rediscovery on demand (a lost subscription, a poll naming another master,
// READONLY or a broken connection on the master) with a slow backstop, and the replicas reads may
// use. The rules live in MasterState; this class adds the threads, the I/O and the waiting.

#include "redis/master_state.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/error.hpp>
#include <ucm/core/redis_options.hpp>
#include <ucm/health/health_report.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ucm {
class IoThread;
}

namespace ucm::redis {

class SentinelWatch;

/// Thread safety: safe to share; the hook runs on the tracker's threads, one call at a time.
class SentinelTracker {
public:
    /// Told of every switch, in order, with the new generation (the owner retires its pools).
    using OnSwitch = std::function<void(std::uint64_t generation, const Endpoint& master)>;

    /// Told when the usable replicas changed (the owner moves idle read connections over).
    using OnReplicas = std::function<void()>;

    SentinelTracker(const RedisOptions& options, std::chrono::milliseconds probe_timeout, OnSwitch on_switch,
                    OnReplicas on_replicas = {});
    ~SentinelTracker();
    SentinelTracker(const SentinelTracker&) = delete;
    SentinelTracker& operator=(const SentinelTracker&) = delete;

    /// Discovers the master (waiting at most until `first_discovery`; an unreachable Sentinel set
    /// is not an error here: acquires wait for it) and starts watching.
    /// The watcher runs on `io` (shared; null: a thread of its own).
    void start(Deadline first_discovery, std::shared_ptr<IoThread> io = nullptr);
    void stop();

    /// The master to connect to. Waits while none is known; throws a retriable NoPrimary at the
    /// deadline naming why. (Writes wait for a fence at send time: await_unfenced().)
    [[nodiscard]] Endpoint master_for(Deadline deadline);
    /// The master in force, without waiting.
    [[nodiscard]] std::optional<Endpoint> master() const;
    /// A usable replica for a read (round robin), or nullopt: read from the master.
    [[nodiscard]] std::optional<Endpoint> next_replica();

    /// A master is known, no failover is in progress and no rediscovery is pending or running.
    [[nodiscard]] bool settled() const;
    /// The replicas the sentinels last listed as usable (never the master).
    [[nodiscard]] std::vector<Endpoint> replicas() const;

    /// For a lease that may write, before it sends: returns at once unless master writes are
    /// fenced (a Sentinel failover is in progress), else waits for the switch or the abort.
    /// Errors: NoPrimary (retriable; nothing was sent) when the fence outlasts `deadline`.
    void await_unfenced(Deadline deadline);
    /// Whether writes must wait now (await_unfenced() would block): for coroutines, which poll it.
    [[nodiscard]] bool fenced() const;

    /// An error on a lease: READONLY or a broken connection on the master asks for rediscovery.
    void on_lease_error(const Error& error);

    /// The Sentinel part of the health report (master, fence, generation, sentinels, quorum).
    void fill_health(RedisHealth& out, Deadline deadline);

private:
    [[nodiscard]] const RedisSentinel& sentinel() const;
    void resolver_loop();
    bool discover_once();  // true when a master is known afterwards
    void request_discovery();
    bool set_replicas_locked(std::vector<Endpoint> replicas);  // true when they changed
    void publish_locked();  // the fence flag readers check without the lock; wakes waiters
    // Watcher callbacks (on the io thread).
    void handle_switch(const Endpoint& old_master, const Endpoint& new_master);
    void handle_failover(bool started);
    void handle_master_address(const Endpoint& address);

    RedisOptions options_;
    std::chrono::milliseconds probe_timeout_;
    OnSwitch on_switch_;
    OnReplicas on_replicas_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;     // master, fence or stop changed
    std::condition_variable wake_resolver_;
    MasterState state_;
    std::vector<Endpoint> replicas_;
    std::size_t next_replica_ = 0;
    bool discovery_requested_ = false;
    bool discovering_ = false;
    bool stopping_ = false;
    std::string last_error_;              // why no master is known; never a secret

    std::atomic<bool> fenced_{false};  // state_.fenced(), for await_unfenced()'s lock-free fast path
    std::unique_ptr<SentinelWatch> watch_;
    std::thread resolver_;
};

}  // namespace ucm::redis
