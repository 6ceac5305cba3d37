#include "redis/sentinel_watch.hpp"

#include "redis/sentinel_watcher.hpp"

#include "core/io_thread.hpp"

#include <algorithm>
#include <optional>
#include <thread>

namespace ucm::redis {

struct SentinelWatch::Impl {
    std::shared_ptr<IoThread> io;
    bool own_io = false;
    std::optional<SentinelWatcher> watcher;
    bool stopped = false;
};

SentinelWatch::SentinelWatch(const RedisSentinel& sentinel, std::chrono::milliseconds probe_timeout, Events events,
                             std::shared_ptr<IoThread> io)
    : impl_(std::make_unique<Impl>()) {
    impl_->own_io = io == nullptr;
    impl_->io = io ? std::move(io) : IoThread::start();
    SentinelWatcherCallbacks callbacks;
    callbacks.on_switch_master = [switched = std::move(events.switched)](const SwitchMaster& sm, std::size_t) {
        if (switched) switched(sm.old_master, sm.new_master);
    };
    callbacks.on_failover_event = [failover = std::move(events.failover)](const FailoverEvent& e, std::size_t) {
        // Ended carries nothing new: the switch follows at once and lifts the fence itself.
        if (!failover || e.kind == FailoverEventKind::Ended) return;
        failover(e.kind == FailoverEventKind::Started);
    };
    callbacks.on_resubscribed = [resubscribed = std::move(events.resubscribed)](std::size_t) {
        if (resubscribed) resubscribed();
    };
    callbacks.on_master_address = [address = std::move(events.master_address)](std::size_t, const Endpoint& e) {
        if (address) address(e);
    };
    impl_->watcher.emplace(impl_->io->context(),
                           SentinelWatcherOptions{.sentinels = sentinel.sentinels,
                                                  .master_name = sentinel.master_name,
                                                  .password = sentinel.sentinel_password,
                                                  .connect_timeout = probe_timeout,
                                                  .command_timeout = probe_timeout},
                           std::move(callbacks));
    impl_->watcher->start();
}

SentinelWatch::~SentinelWatch() { stop(); }

void SentinelWatch::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->watcher->stop();  // waits for the io thread to close every connection
    // A shared thread goes on serving its other users. The io_context stays referenced until the
    // watcher object itself is destroyed (its destructor still looks at it).
    if (impl_->own_io) impl_->io->stop();
}

void SentinelWatch::await_first_contact(std::chrono::steady_clock::time_point deadline) const {
    const auto contacted = [&] {
        const auto all = impl_->watcher->snapshot();
        return std::all_of(all.begin(), all.end(),
                           [](const SentinelStatus& s) { return s.reachable || !s.last_error.empty(); });
    };
    // The watcher has no "first contact" callback to wait on; this runs once, at start-up.
    while (!contacted() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
}

std::vector<SentinelHealth> SentinelWatch::health() const {
    std::vector<SentinelHealth> out;
    for (const SentinelStatus& s : impl_->watcher->snapshot()) {
        out.push_back({.endpoint = s.endpoint.to_string(),
                       .reachable = s.reachable,
                       .rtt = s.last_poll_rtt,
                       .error = s.reachable ? std::string{} : s.last_error});
    }
    return out;
}

}  // namespace ucm::redis
