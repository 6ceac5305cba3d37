#include "redis/sentinel_tracker.hpp"

#include "core/log.hpp"
#include "redis/sentinel_discovery.hpp"
#include "redis/sentinel_watch.hpp"
#include "resilience/capped_backoff.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ucm::redis {
namespace {

// Rediscovery when nothing asks for it: the watcher normally tells us first, this only bounds
// how long a missed announcement could go unnoticed.
constexpr std::chrono::seconds kBackstop{5};
constexpr std::chrono::milliseconds kRetryFirst{10};
constexpr std::chrono::milliseconds kRetryMax{500};
// A failover that neither switched nor aborted within this long lost its last message with a
// sentinel; writes must not wait on it forever (Sentinel's own failover-timeout is 180 s, but a
// real failover here publishes +switch-master within ~1.5 s).
constexpr std::chrono::seconds kFenceLimit{15};
// How often the resolver looks at a raised fence's age.
constexpr std::chrono::milliseconds kFenceCheck{250};

}  // namespace

SentinelTracker::SentinelTracker(const RedisOptions& options, std::chrono::milliseconds probe_timeout,
                                 OnSwitch on_switch, OnReplicas on_replicas)
    : options_(options),
      probe_timeout_(probe_timeout),
      on_switch_(std::move(on_switch)),
      on_replicas_(std::move(on_replicas)) {}

SentinelTracker::~SentinelTracker() { stop(); }

const RedisSentinel& SentinelTracker::sentinel() const { return std::get<RedisSentinel>(options_.topology); }

void SentinelTracker::start(Deadline first_discovery, std::shared_ptr<IoThread> io) {
    {
        std::lock_guard lock(mutex_);
        discovery_requested_ = true;
    }
    resolver_ = std::thread([this] { resolver_loop(); });
    watch_ = std::make_unique<SentinelWatch>(
        sentinel(), probe_timeout_,
        SentinelWatch::Events{
            .switched = [this](const Endpoint& from, const Endpoint& to) { handle_switch(from, to); },
            .failover = [this](bool started) { handle_failover(started); },
            .master_address = [this](const Endpoint& address) { handle_master_address(address); },
            .resubscribed = [this] { request_discovery(); },
        },
        std::move(io));
    {
        std::unique_lock lock(mutex_);
        changed_.wait_until(lock, first_discovery, [&] { return state_.master().has_value() || stopping_; });
    }
    watch_->await_first_contact(first_discovery);
}

void SentinelTracker::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    changed_.notify_all();
    wake_resolver_.notify_all();
    if (watch_) watch_->stop();  // no watcher callback runs after this
    if (resolver_.joinable()) resolver_.join();
}

void SentinelTracker::request_discovery() {
    {
        std::lock_guard lock(mutex_);
        discovery_requested_ = true;
    }
    wake_resolver_.notify_one();
}

void SentinelTracker::resolver_loop() {
    std::unique_lock lock(mutex_);
    CappedBackoff retry(kRetryFirst, kRetryMax);
    auto next = SteadyClock::now();
    while (!stopping_) {
        const auto wake = std::min(next, SteadyClock::now() + kFenceCheck);
        wake_resolver_.wait_until(lock, wake, [&] { return stopping_ || discovery_requested_; });
        if (stopping_) break;
        const auto now = SteadyClock::now();
        if (state_.expire_fence(now, kFenceLimit)) {
            log().warn("redis: failover of '{}' neither switched nor aborted within {} s; writes to {} resume",
                       sentinel().master_name, kFenceLimit.count(),
                       state_.master() ? state_.master()->to_string() : std::string("(unknown)"));
            publish_locked();
            discovery_requested_ = true;
        }
        if (!discovery_requested_ && now < next) continue;
        discovery_requested_ = false;
        discovering_ = true;
        lock.unlock();
        const bool found = discover_once();
        lock.lock();
        discovering_ = false;
        if (found) {
            retry.reset();
            next = SteadyClock::now() + kBackstop;
        } else {
            next = SteadyClock::now() + retry.failed();
        }
    }
}

bool SentinelTracker::discover_once() {
    const Deadline deadline = deadline_after(probe_timeout_);
    const std::vector<SentinelAnswer> answers = ask_sentinels(sentinel(), deadline);
    std::vector<MasterAnswer> masters;
    std::vector<Endpoint> replicas;
    std::string errors;
    for (const SentinelAnswer& a : answers) {
        if (a.master) masters.push_back(*a.master);
        if (!a.error.empty()) errors += (errors.empty() ? "" : "; ") + a.error;
        for (const Endpoint& r : a.replicas) {
            if (std::find(replicas.begin(), replicas.end(), r) == replicas.end()) replicas.push_back(r);
        }
    }
    std::optional<MasterAnswer> candidate;
    {
        std::unique_lock lock(mutex_);
        candidate = state_.consider(masters);
        if (!candidate) {
            const bool replicas_changed = set_replicas_locked(std::move(replicas));
            const bool known = state_.master().has_value();
            lock.unlock();
            if (replicas_changed && on_replicas_) on_replicas_();
            if (known) return true;
            lock.lock();
            last_error_ = masters.empty() ? (errors.empty() ? "no sentinel answered" : errors)
                                          : "every master the sentinels named was retired by a failover";
            return false;
        }
    }
    std::string why;
    if (!says_master(candidate->address, options_, deadline, why)) {
        std::lock_guard lock(mutex_);
        last_error_ = why;
        log().info("redis: not switching to {}: {}", candidate->address.to_string(), why);
        return false;
    }
    std::optional<std::pair<std::uint64_t, Endpoint>> switched;
    bool replicas_changed = false;
    {
        std::lock_guard lock(mutex_);
        // A switch may have been announced during the ROLE check: ask again with what is known now.
        const MasterAnswer verified = *candidate;
        const auto again = state_.consider(std::span(&verified, 1));
        if (again && again->address == verified.address && state_.adopt(verified)) {
            switched.emplace(state_.generation(), verified.address);
            log().info("redis: master of '{}' is {} (config-epoch {}, generation {})", sentinel().master_name,
                       verified.address.to_string(), verified.config_epoch, state_.generation());
        }
        replicas_changed = set_replicas_locked(std::move(replicas));
        last_error_.clear();
        publish_locked();
    }
    if (switched && on_switch_) on_switch_(switched->first, switched->second);
    if (replicas_changed && !switched && on_replicas_) on_replicas_();  // a switch moves every pool anyway
    return true;
}

bool SentinelTracker::set_replicas_locked(std::vector<Endpoint> replicas) {
    // Never read from the master's own address through the replica path; a former master comes
    // back here once a sentinel lists it as a replica with its link up.
    std::erase_if(replicas, [&](const Endpoint& r) { return state_.master() && r == *state_.master(); });
    std::sort(replicas.begin(), replicas.end(),
              [](const Endpoint& a, const Endpoint& b) { return a.to_string() < b.to_string(); });
    if (replicas == replicas_) return false;
    replicas_ = std::move(replicas);
    return true;
}

void SentinelTracker::publish_locked() {
    fenced_.store(state_.fenced(), std::memory_order_release);
    changed_.notify_all();
}

void SentinelTracker::handle_switch(const Endpoint& old_master, const Endpoint& new_master) {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        if (!state_.on_switch_master(old_master, new_master)) return;
        generation = state_.generation();
        std::erase(replicas_, new_master);  // a replica promoted: reads no longer go there as a replica
        publish_locked();
        log().warn("redis: +switch-master '{}' {} -> {} (generation {})", sentinel().master_name,
                   old_master.to_string(), new_master.to_string(), generation);
        discovery_requested_ = true;  // for the epoch and the replicas; the switch itself is in force
    }
    wake_resolver_.notify_one();
    if (on_switch_) on_switch_(generation, new_master);
}

void SentinelTracker::handle_failover(bool started) {
    std::lock_guard lock(mutex_);
    if (started) {
        if (state_.fenced()) return;
        state_.on_failover_started(SteadyClock::now());
        log().warn("redis: failover of '{}' started; writes to {} wait for its outcome", sentinel().master_name,
                   state_.master() ? state_.master()->to_string() : std::string("(unknown)"));
    } else {
        if (!state_.fenced()) return;
        state_.on_failover_aborted();
        log().warn("redis: failover of '{}' aborted; writes resume", sentinel().master_name);
    }
    publish_locked();
}

void SentinelTracker::handle_master_address(const Endpoint& address) {
    {
        std::lock_guard lock(mutex_);
        // The one we follow, or one a switch retired (a sentinel not caught up yet): nothing new.
        if ((state_.master() && *state_.master() == address) || state_.is_retired(address)) return;
        discovery_requested_ = true;
    }
    wake_resolver_.notify_one();
}

Endpoint SentinelTracker::master_for(Deadline deadline) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_until(lock, deadline, [&] { return stopping_ || state_.master().has_value(); })) {
        throw NoPrimary({.message = fmt::format("redis: no master of '{}' is known yet: {}", sentinel().master_name,
                                                last_error_.empty() ? std::string("discovery in progress") : last_error_),
                         .retriable = true});
    }
    if (stopping_) throw ShutDown({.message = "redis: the manager is shutting down"});
    return *state_.master();
}

bool SentinelTracker::settled() const {
    std::lock_guard lock(mutex_);
    return state_.master() && !state_.fenced() && !discovery_requested_ && !discovering_;
}

std::optional<Endpoint> SentinelTracker::master() const {
    std::lock_guard lock(mutex_);
    return state_.master();
}

std::optional<Endpoint> SentinelTracker::next_replica() {
    std::lock_guard lock(mutex_);
    if (replicas_.empty()) return std::nullopt;
    return replicas_[next_replica_++ % replicas_.size()];
}

void SentinelTracker::await_unfenced(Deadline deadline) {
    if (!fenced_.load(std::memory_order_acquire)) return;
    std::unique_lock lock(mutex_);
    if (changed_.wait_until(lock, deadline, [&] { return stopping_ || !state_.fenced(); })) return;
    throw NoPrimary({.message = fmt::format("redis: a Sentinel failover of '{}' is in progress and did not end "
                                            "before the deadline; the write was held back, nothing was sent",
                                            sentinel().master_name),
                     .retriable = true});
}

bool SentinelTracker::fenced() const {
    if (!fenced_.load(std::memory_order_acquire)) return false;
    std::lock_guard lock(mutex_);
    return !stopping_ && state_.fenced();
}

void SentinelTracker::on_lease_error(const Error& error) {
    // READONLY: the server we write to was demoted; a broken connection: it may be gone. Either
    // way, ask the sentinels now instead of waiting for an announcement that may have been missed.
    if (error.code() == Errc::read_only_violation || error.code() == Errc::connection_failed) request_discovery();
}

void SentinelTracker::fill_health(RedisHealth& out, Deadline deadline) {
    out.sentinel = true;
    out.master_name = sentinel().master_name;
    {
        std::lock_guard lock(mutex_);
        out.master = state_.master() ? state_.master()->to_string() : std::string{};
        out.fenced = state_.fenced();
        out.generation = state_.generation();
    }
    if (watch_) out.sentinels = watch_->health();
    if (const auto quorum = check_quorum(sentinel(), deadline)) {
        out.quorum_ok = quorum->first;
        out.quorum = quorum->second;
    }
}

std::vector<Endpoint> SentinelTracker::replicas() const {
    std::lock_guard lock(mutex_);
    return replicas_;
}

}  // namespace ucm::redis
