#include "redis/sentinel_watcher.hpp"

#include "core/log.hpp"
#include "redis/asio_hiredis_adapter.hpp"
#include "resilience/capped_backoff.hpp"

#include <asio/dispatch.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>

namespace ucm::redis {
namespace {

using Clock = std::chrono::steady_clock;

std::string_view text_of(const redisReply* r) {
    return (r->str != nullptr) ? std::string_view(r->str, r->len) : std::string_view();
}

bool is_text(const redisReply* r) {
    return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

}  // namespace

// Everything below runs on the io thread, except stop()'s hand-over and the status snapshot.
struct SentinelWatcherImpl : std::enable_shared_from_this<SentinelWatcherImpl> {
    // One sentinel: its two connections and the timers that drive them. A session number tags
    // every callback, so one that belongs to connections already torn down is ignored.
    struct Link {
        Link(asio::io_context& io, std::size_t i, Endpoint ep, CappedBackoff reconnect)
            : index(i), endpoint(std::move(ep)), poll_timer(io), retry_timer(io), backoff(reconnect) {}
        std::size_t index;
        Endpoint endpoint;
        std::unique_ptr<AsioHiredisAdapter> subscriber{};
        std::unique_ptr<AsioHiredisAdapter> poller{};
        asio::steady_timer poll_timer;
        asio::steady_timer retry_timer;
        CappedBackoff backoff;
        std::uint64_t session = 0;
        std::size_t awaiting_confirmations = 0;
        std::optional<bool> reported{};  // reachability last told to the owner
        bool in_failover = false;        // this sentinel has reported progress of a failover
        bool attempted = false;
        Clock::time_point poll_sent{};
    };

    SentinelWatcherImpl(asio::io_context& io, SentinelWatcherOptions options, SentinelWatcherCallbacks callbacks)
        : io_(io), options_(std::move(options)), callbacks_(std::move(callbacks)) {
        for (std::size_t i = 0; i < options_.sentinels.size(); ++i) {
            links_.push_back(std::make_unique<Link>(io, i, options_.sentinels[i],
                                                    CappedBackoff(options_.backoff_initial, options_.backoff_max)));
            status_.push_back(SentinelStatus{.endpoint = options_.sentinels[i]});
        }
    }

    void start();
    void stop();
    void do_stop();
    [[nodiscard]] std::vector<SentinelStatus> snapshot() const {
        std::lock_guard lock(status_mutex_);
        return status_;
    }

private:
    using Session = std::uint64_t;

    void connect(Link& link);
    void authenticate(AsioHiredisAdapter& adapter, Link& link, Session s, const char* which);
    void subscribe(Link& link, Session s, const std::string& channel, bool pattern);
    void poll(Link& link, Session s);
    void on_subscriber_reply(Link& link, Session s, const redisReply* reply, const std::string& error);
    void on_poll_reply(Link& link, Session s, const redisReply* reply, const std::string& error);
    void on_subscribed(Link& link);
    void on_message(Link& link, std::string_view channel, std::string_view payload);
    void on_failover_event(Link& link, const FailoverEvent& event);
    void fail(Link& link, Session s, const std::string& reason);
    void teardown(Link& link);
    [[nodiscard]] bool current(const Link& link, Session s) const { return !stopped_ && link.session == s; }
    [[nodiscard]] bool any_in_failover() const {
        return std::any_of(links_.begin(), links_.end(), [](const auto& l) { return l->in_failover; });
    }
    template <class Fn>
    void update_status(std::size_t i, Fn fn) {
        std::lock_guard lock(status_mutex_);
        fn(status_[i]);
    }
    // Callbacks are the owner's code: never after stop() was asked for, and never let an
    // exception unwind through hiredis or Asio.
    template <class Callback, class... Args>
    void notify(const Callback& callback, const Args&... args) {
        if (!callback || stop_requested_.load()) return;
        try {
            callback(args...);
        } catch (const std::exception& e) {
            log().error("sentinel watcher '{}': a callback threw: {}", options_.master_name, e.what());
        } catch (...) {
            log().error("sentinel watcher '{}': a callback threw", options_.master_name);
        }
    }

    asio::io_context& io_;
    const SentinelWatcherOptions options_;
    const SentinelWatcherCallbacks callbacks_;
    std::vector<std::unique_ptr<Link>> links_;  // unique_ptr: timers do not move
    std::optional<SwitchMaster> last_switch_{};
    bool started_ = false;
    bool stopped_ = false;
    std::atomic<bool> start_requested_{false};
    std::atomic<bool> stop_requested_{false};
    std::mutex stop_mutex_;  // serialises do_stop() when stop() has to run it off the io thread
    mutable std::mutex status_mutex_;
    std::vector<SentinelStatus> status_;
};

void SentinelWatcherImpl::start() {
    if (stop_requested_.load()) return;
    start_requested_.store(true);
    asio::dispatch(io_, [self = shared_from_this()] {
        if (self->started_ || self->stopped_ || self->stop_requested_.load()) return;
        self->started_ = true;
        for (auto& link : self->links_) self->connect(*link);
    });
}

void SentinelWatcherImpl::connect(Link& link) {
    const Session s = ++link.session;
    if (link.attempted) update_status(link.index, [](SentinelStatus& st) { ++st.reconnects; });
    link.attempted = true;
    link.awaiting_confirmations = 0;
    const auto closed = [this, &link, s](const char* which) {
        return [this, &link, s, which](const std::string& why) { fail(link, s, std::string(which) + ": " + why); };
    };
    link.subscriber = std::make_unique<AsioHiredisAdapter>(io_, link.endpoint, options_.connect_timeout,
                                                           AsioHiredisAdapter::Handlers{.on_closed = closed("subscriber")});
    authenticate(*link.subscriber, link, s, "subscriber");
    for (std::string_view channel : failover_channels()) subscribe(link, s, std::string(channel), false);
    subscribe(link, s, std::string(kFailoverAbortPattern), true);

    link.poller = std::make_unique<AsioHiredisAdapter>(io_, link.endpoint, options_.connect_timeout,
                                                       AsioHiredisAdapter::Handlers{.on_closed = closed("poller")});
    authenticate(*link.poller, link, s, "poller");
    poll(link, s);
}

void SentinelWatcherImpl::authenticate(AsioHiredisAdapter& adapter, Link& link, Session s, const char* which) {
    if (options_.password.empty()) return;
    adapter.command({"AUTH", options_.password.reveal()}, options_.command_timeout,
                    [this, &link, s, which](const redisReply* reply, const std::string& error) {
                        if (!current(link, s)) return;
                        if (reply == nullptr) {
                            fail(link, s, std::string(which) + ": " + error);
                        } else if (reply->type == REDIS_REPLY_ERROR) {
                            // The server's text ("WRONGPASS ...") never quotes the password.
                            fail(link, s, std::string(which) + ": AUTH refused: " + std::string(text_of(reply)));
                        }
                    });
}

void SentinelWatcherImpl::subscribe(Link& link, Session s, const std::string& channel, bool pattern) {
    ++link.awaiting_confirmations;
    link.subscriber->subscribe(channel, pattern, options_.command_timeout,
                               [this, &link, s](const redisReply* reply, const std::string& error) {
                                   on_subscriber_reply(link, s, reply, error);
                               });
}

void SentinelWatcherImpl::on_subscriber_reply(Link& link, Session s, const redisReply* reply,
                                              const std::string& error) {
    if (!current(link, s)) return;
    if (reply == nullptr) return fail(link, s, "subscriber: " + error);
    if (reply->type == REDIS_REPLY_ERROR) {
        return fail(link, s, "subscription refused: " + std::string(text_of(reply)));
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 || !is_text(reply->element[0])) return;
    const std::string_view kind = text_of(reply->element[0]);
    if (kind == "subscribe" || kind == "psubscribe") {
        if (link.awaiting_confirmations > 0 && --link.awaiting_confirmations == 0) on_subscribed(link);
    } else if (kind == "message" && is_text(reply->element[1]) && is_text(reply->element[2])) {
        on_message(link, text_of(reply->element[1]), text_of(reply->element[2]));
    } else if (kind == "pmessage" && reply->elements >= 4 && is_text(reply->element[2]) &&
               is_text(reply->element[3])) {
        on_message(link, text_of(reply->element[2]), text_of(reply->element[3]));
    }
}

void SentinelWatcherImpl::on_subscribed(Link& link) {
    link.backoff.reset();
    update_status(link.index, [](SentinelStatus& st) { st.reachable = true; });
    if (link.reported != true) {
        if (link.reported.has_value()) log().info("sentinel {} is reachable again", link.endpoint.to_string());
        link.reported = true;
        notify(callbacks_.on_sentinel_state, link.index, true);
    }
    notify(callbacks_.on_resubscribed, link.index);
}

void SentinelWatcherImpl::on_message(Link& link, std::string_view channel, std::string_view payload) {
    if (channel == kSwitchMasterChannel) {
        auto announced = parse_switch_master(payload, options_.master_name);
        if (!announced) return;
        for (auto& l : links_) l->in_failover = false;  // whoever was failing over is done
        if (last_switch_ == announced) return;          // told already by another sentinel
        last_switch_ = announced;
        log().warn("sentinel {}: master '{}' switched from {} to {}", link.endpoint.to_string(),
                   options_.master_name, announced->old_master.to_string(), announced->new_master.to_string());
        notify(callbacks_.on_switch_master, *announced, link.index);
        return;
    }
    if (auto event = parse_failover_event(channel, payload, options_.master_name)) on_failover_event(link, *event);
}

// A failover is "in progress" while any sentinel has reported progress and not yet its end or
// abort. Tracked per sentinel: during an election several sentinels try at once and the losers
// publish -failover-abort-not-elected while the winner carries on, which must not lift the fence.
void SentinelWatcherImpl::on_failover_event(Link& link, const FailoverEvent& event) {
    const bool was_in_progress = any_in_failover();
    if (event.kind == FailoverEventKind::Started) {
        link.in_failover = true;
        if (was_in_progress) return;
        log().warn("sentinel {}: failover of '{}' started ({})", link.endpoint.to_string(), options_.master_name,
                   event.channel);
    } else {
        if (!link.in_failover) return;
        link.in_failover = false;
        if (any_in_failover()) return;
        log().info("sentinel {}: failover of '{}' {} ({})", link.endpoint.to_string(), options_.master_name,
                   event.kind == FailoverEventKind::Aborted ? "aborted" : "ended", event.channel);
    }
    notify(callbacks_.on_failover_event, event, link.index);
}

void SentinelWatcherImpl::poll(Link& link, Session s) {
    link.poll_sent = Clock::now();
    link.poller->command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", options_.master_name}, options_.command_timeout,
                         [this, &link, s](const redisReply* reply, const std::string& error) {
                             on_poll_reply(link, s, reply, error);
                         });
}

void SentinelWatcherImpl::on_poll_reply(Link& link, Session s, const redisReply* reply, const std::string& error) {
    if (!current(link, s)) return;
    if (reply == nullptr) return fail(link, s, "poll: " + error);
    const auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - link.poll_sent);
    std::optional<Endpoint> master;
    std::string odd;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && is_text(reply->element[0]) &&
        is_text(reply->element[1])) {
        master = parse_sentinel_address(text_of(reply->element[0]), text_of(reply->element[1]));
        if (!master) odd = "poll: malformed address from the sentinel";
    } else if (reply->type == REDIS_REPLY_NIL) {
        odd = "poll: the sentinel does not monitor '" + options_.master_name + "'";
    } else if (reply->type == REDIS_REPLY_ERROR) {
        odd = "poll refused: " + std::string(text_of(reply));
    } else {
        odd = "poll: unexpected reply type " + std::to_string(reply->type);
    }
    update_status(link.index, [&](SentinelStatus& st) {
        st.last_poll_rtt = rtt;
        st.master = master;
        if (!odd.empty()) st.last_error = odd;
    });
    if (master) notify(callbacks_.on_master_address, link.index, *master);

    link.poll_timer.expires_after(options_.poll_interval);
    link.poll_timer.async_wait([weak = weak_from_this(), &link, s](const std::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || !self->current(link, s)) return;
        self->poll(link, s);
    });
}

void SentinelWatcherImpl::fail(Link& link, Session s, const std::string& reason) {
    if (!current(link, s)) return;
    teardown(link);
    link.in_failover = false;  // its end or abort would be lost with it; the owner's fence expires
    update_status(link.index, [&](SentinelStatus& st) {
        st.reachable = false;
        st.last_error = reason;
    });
    if (link.reported != false) {
        log().warn("sentinel {} is unreachable: {}", link.endpoint.to_string(), reason);
        link.reported = false;
        notify(callbacks_.on_sentinel_state, link.index, false);
    }
    const Session retry = link.session;
    link.retry_timer.expires_after(link.backoff.failed());
    link.retry_timer.async_wait([weak = weak_from_this(), &link, retry](const std::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || !self->current(link, retry)) return;
        self->connect(link);
    });
}

void SentinelWatcherImpl::teardown(Link& link) {
    ++link.session;
    link.awaiting_confirmations = 0;
    link.poll_timer.cancel();
    link.retry_timer.cancel();
    // Safe from inside either adapter's own callback: hiredis defers the free until it returns.
    link.subscriber.reset();
    link.poller.reset();
}

void SentinelWatcherImpl::stop() {
    stop_requested_.store(true);
    // Never started: no connection exists, and an io_context nobody runs must not make us wait.
    if (!start_requested_.load()) return;
    if (io_.get_executor().running_in_this_thread() || io_.stopped()) {
        do_stop();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    asio::post(io_, [self = shared_from_this(), done] {
        self->do_stop();
        done->set_value();
    });
    while (finished.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
        // Nobody will run the posted teardown: the io thread has been stopped meanwhile.
        if (io_.stopped()) {
            do_stop();
            return;
        }
    }
}

void SentinelWatcherImpl::do_stop() {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& link : links_) teardown(*link);
}

SentinelWatcher::SentinelWatcher(asio::io_context& io, SentinelWatcherOptions options,
                                 SentinelWatcherCallbacks callbacks)
    : impl_(std::make_shared<SentinelWatcherImpl>(io, std::move(options), std::move(callbacks))) {}

SentinelWatcher::~SentinelWatcher() { stop(); }

void SentinelWatcher::start() { impl_->start(); }

void SentinelWatcher::stop() { impl_->stop(); }

std::vector<SentinelStatus> SentinelWatcher::snapshot() const { return impl_->snapshot(); }

}  // namespace ucm::redis
