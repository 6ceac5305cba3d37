#pragma once
// Watches every sentinel of a Sentinel-managed master and reports, as they happen: the master
// switching (`+switch-master`, once however many sentinels announce it), a failover starting or
// being aborted (so the owner can fence writes to a master that is being replaced), each
// sentinel's reachability, and each sentinel's answer to "where is the master" every poll.
//
// Per sentinel, two hiredis async connections on the owner's io_context:
//   * a subscriber: AUTH if needed, SUBSCRIBE to the failover-progress channels and
//     `+switch-master`, PSUBSCRIBE `-failover-abort-*`;
//   * a poller: `SENTINEL GET-MASTER-ADDR-BY-NAME <name>` every poll_interval, with a deadline.
//     hiredis 0.14 drops PING on a subscribed connection, so the subscriber alone cannot tell a
//     stalled (SIGSTOPped) sentinel from a quiet one; the poller can.
// Any failure of either (deadline, lost connection, error reply to AUTH or SUBSCRIBE) marks the
// sentinel unreachable, drops both, and reconnects after a capped exponential backoff. After each
// (re)subscription `on_resubscribed` fires: announcements published while we were not listening are
// lost, so the owner must ask again where the master is.

#include "redis/sentinel_messages.hpp"

#include <ucm/core/endpoint.hpp>
#include <ucm/core/secret.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asio {
class io_context;
}  // namespace asio

namespace ucm::redis {

/// What the watcher watches and how patiently. Every duration is > 0.
struct SentinelWatcherOptions {
    std::vector<Endpoint> sentinels{};  ///< at least one; IP literals keep the io thread from blocking in DNS
    std::string master_name{};          ///< non-empty
    Secret password{};                  ///< sentinels' `requirepass`; empty: no AUTH
    std::chrono::milliseconds connect_timeout{1'000};
    /// Deadline of each poll, AUTH and subscription confirmation. A sentinel stalled for longer than
    /// poll_interval + command_timeout is reported unreachable.
    std::chrono::milliseconds command_timeout{1'000};
    std::chrono::milliseconds poll_interval{500};
    std::chrono::milliseconds backoff_initial{50};  ///< first reconnect delay; doubles per failure
    std::chrono::milliseconds backoff_max{1'000};   ///< cap of the reconnect delay
};

/// One sentinel's state, for health reports.
struct SentinelStatus {
    Endpoint endpoint{};
    bool reachable = false;  ///< subscribed, and no poll or connection has failed since
    std::optional<std::chrono::microseconds> last_poll_rtt{};  ///< round trip of the last answered poll
    std::optional<Endpoint> master{};  ///< what its last poll said; unset if it named none
    std::string last_error{};          ///< why it was last unreachable (or its last odd answer); never a secret
    std::uint64_t reconnects = 0;      ///< connection attempts after the first
};

/// The owner's hooks. All run on the io_context's thread, one at a time, never after stop() has
/// returned; keep them quick (post real work elsewhere) and do not let them throw (an exception is
/// logged and swallowed). Any may be empty.
struct SentinelWatcherCallbacks {
    /// The master moved. Fires once per distinct old→new announcement, from whichever sentinel
    /// told it first. Also ends any failover in progress (no separate Ended event follows).
    std::function<void(const SwitchMaster&, std::size_t sentinel)> on_switch_master{};
    /// Started: the first progress event of a failover (fence writes to the master). Aborted: every
    /// attempt in progress gave up (lift the fence). Ended: `+failover-end` before the switch was
    /// announced; keep the fence until on_switch_master (it follows within the same instant).
    /// Each fires once per failover, however many sentinels report it.
    std::function<void(const FailoverEvent&, std::size_t sentinel)> on_failover_event{};
    /// A sentinel became reachable (subscribed) or unreachable; fires on changes, and the first
    /// failure of a sentinel never reached is reported too.
    std::function<void(std::size_t sentinel, bool reachable)> on_sentinel_state{};
    /// A (re)subscription is confirmed on that sentinel: announcements may have been missed before
    /// it, so ask again where the master is.
    std::function<void(std::size_t sentinel)> on_resubscribed{};
    /// The answer of one poll (every poll_interval per reachable sentinel).
    std::function<void(std::size_t sentinel, const Endpoint& master)> on_master_address{};
};

struct SentinelWatcherImpl;

/// Follows a Sentinel-managed master's sentinels on an io_context (see the file comment).
///
/// Errors: nothing throws; failures show in on_sentinel_state and snapshot().
/// Thread safety: start(), stop() and snapshot() are safe from any thread. The callbacks run on
/// the io_context's thread. Once start() has been called, the owner keeps one thread running the
/// io_context until stop() has returned: stop() from another thread waits for the io thread to
/// tear the connections down (if the io_context is stopped instead, stop() tears them down itself,
/// which is safe only once the io thread has left run()).
/// Lifetime: the io_context must outlive the watcher; the destructor calls stop().
///
/// @code
/// asio::io_context io; auto guard = asio::make_work_guard(io);
/// SentinelWatcher watcher(io, options, {.on_switch_master = [&](const SwitchMaster& sm, std::size_t) { ... }});
/// std::thread thread([&] { io.run(); });
/// watcher.start();  ...  watcher.stop(); guard.reset(); io.stop(); thread.join();
/// @endcode
class SentinelWatcher {
public:
    SentinelWatcher(asio::io_context& io, SentinelWatcherOptions options, SentinelWatcherCallbacks callbacks);
    ~SentinelWatcher();
    SentinelWatcher(const SentinelWatcher&) = delete;
    SentinelWatcher& operator=(const SentinelWatcher&) = delete;

    /// Connects to every sentinel (on the io thread). Once only; a no-op after stop().
    void start();
    /// Closes every connection on the io thread and waits for that (inline when called on it, or
    /// when the io_context is stopped). No callback runs after it returns. Idempotent.
    void stop();
    /// Each sentinel's state, in the order of options.sentinels.
    [[nodiscard]] std::vector<SentinelStatus> snapshot() const;

private:
    std::shared_ptr<SentinelWatcherImpl> impl_;
};

}  // namespace ucm::redis
