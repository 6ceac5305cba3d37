#include "pg/topology.hpp"

#include "core/log.hpp"

#include <algorithm>
#include <bit>

namespace ucm::pg {
namespace {

using namespace std::chrono_literals;

// While no writable primary is known, rounds follow each other on this capped backoff: one
// connection attempt per host per round, never a storm, and a promotion is seen within ~10 ms.
constexpr std::chrono::milliseconds kFirstBackoff{1};
constexpr std::chrono::milliseconds kMaxBackoff{10};
// Many events within this gap make one round.
constexpr std::chrono::milliseconds kDebounce{1};
// Half-open trial probes follow each other at this pace.
constexpr std::chrono::milliseconds kHalfOpenPace{10};

bool host_level_failure(const Error& e) {
    if (e.code() == Errc::connection_failed) return true;
    const std::string& s = e.sqlstate();
    return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03";
}

bool admits_requests(BreakerState s) { return s == BreakerState::Closed || s == BreakerState::Disabled; }

const char* name_of(HostRole role) {
    switch (role) {
        case HostRole::Primary: return "primary";
        case HostRole::Standby: return "standby";
        case HostRole::Unknown: break;
    }
    return "unknown";
}

}  // namespace

std::shared_ptr<Topology> Topology::create(TopologySetup setup) {
    std::shared_ptr<Topology> t(new Topology(std::move(setup)));
    for (auto& link : t->links_) link->events = t;
    return t;
}

Topology::Topology(TopologySetup setup) : setup_(std::move(setup)), backoff_(kFirstBackoff, kMaxBackoff) {
    const auto& endpoints = setup_.options.hosts;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        auto link = std::make_shared<HostLink>();
        link->index = i;
        link->endpoint = endpoints[i];
        link->name = endpoints[i].to_string();
        links_.push_back(std::move(link));
        hosts_.push_back(HostState{.breaker = CircuitBreaker(setup_.breaker)});
    }
    slots_.resize(endpoints.size());
}

Topology::~Topology() { stop(); }

void Topology::start() {
    round();
    std::lock_guard lock(mutex_);
    if (!stopping_ && !thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void Topology::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    changed_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    slots_.clear();
}

void Topology::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto now = SteadyClock::now();
        const auto at = next_round_locked(now);
        if (now < at) {
            wake_.wait_until(lock, at);
            continue;
        }
        lock.unlock();
        round();
        lock.lock();
    }
}

SteadyClock::time_point Topology::next_round_locked(SteadyClock::time_point now) const {
    auto at = last_round_end_ + setup_.options.topology_refresh;
    if (backoff_.current() > 0ms) at = std::min(at, last_round_end_ + backoff_.current());
    if (refresh_requested_) at = std::min(at, last_round_end_ + kDebounce);
    for (const auto& h : hosts_) {
        if (h.breaker.state() == BreakerState::Open) at = std::min(at, h.breaker.retry_at());
        if (h.breaker.state() == BreakerState::HalfOpen) at = std::min(at, last_round_end_ + kHalfOpenPace);
    }
    return std::max(at, now - 1ms);
}

void Topology::round() {
    std::vector<Endpoint> endpoints;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        ++rounds_started_;
        refresh_requested_ = false;
        const auto now = SteadyClock::now();
        for (std::size_t i = 0; i < hosts_.size(); ++i) {
            slots_[i].skip = !hosts_[i].breaker.try_acquire(now);
            endpoints.push_back(links_[i]->endpoint);
        }
    }
    std::vector<std::pair<std::size_t, std::uint64_t>> changed;
    std::vector<bool> probed(slots_.size());
    for (std::size_t i = 0; i < slots_.size(); ++i) probed[i] = !slots_[i].skip;
    const auto started = SteadyClock::now();
    auto on_done = [&](std::size_t i, const ProbeResult& r) {
        {
            std::lock_guard lock(mutex_);
            apply(i, r, false);
            hosts_[i].connect_attempts += r.connects;
            const auto took = SteadyClock::now() - started;
            if (r.view.reachable) {
                hosts_[i].breaker.on_success(took, SteadyClock::now());
            } else {
                hosts_[i].breaker.on_failure(took, SteadyClock::now());
            }
            settle_roles(changed);
            bump_locked();
        }
        changed_.notify_all();
        notify_changed(changed);
    };
    const auto results = probe_topology(setup_.options, endpoints, slots_, setup_.application_name + "/topology",
                                        deadline_after(setup_.health.probe_timeout), on_done);
    {
        std::lock_guard lock(mutex_);
        finish_round_locked(results, probed, changed);
    }
    changed_.notify_all();
    notify_changed(changed);
}

void Topology::ingest(const std::vector<ProbeResult>& results) {
    std::vector<std::pair<std::size_t, std::uint64_t>> changed;
    {
        std::lock_guard lock(mutex_);
        ++rounds_started_;
        const auto now = SteadyClock::now();
        std::vector<bool> probed(hosts_.size(), false);
        for (std::size_t i = 0; i < results.size() && i < hosts_.size(); ++i) {
            probed[i] = hosts_[i].breaker.try_acquire(now);
            if (!probed[i]) continue;
            if (results[i].view.reachable) {
                hosts_[i].breaker.on_success(std::chrono::nanoseconds{0}, now);
            } else {
                hosts_[i].breaker.on_failure(std::chrono::nanoseconds{0}, now);
            }
        }
        finish_round_locked(results, probed, changed);
    }
    changed_.notify_all();
    notify_changed(changed);
}

void Topology::finish_round_locked(const std::vector<ProbeResult>& results, const std::vector<bool>& probed,
                                   std::vector<std::pair<std::size_t, std::uint64_t>>& changed) {
    for (std::size_t i = 0; i < results.size() && i < hosts_.size(); ++i) {
        if (probed[i]) apply(i, results[i], true);
    }
    settle_roles(changed);
    bump_locked();
    ++rounds_done_;
    last_round_end_ = SteadyClock::now();
    if (primary_known_locked()) {
        backoff_.reset();
    } else {
        (void)backoff_.failed();
    }
}

void Topology::notify_changed(std::vector<std::pair<std::size_t, std::uint64_t>>& changed) {
    for (auto [host, generation] : changed) {
        if (setup_.on_role_change) setup_.on_role_change(host, generation);
    }
    changed.clear();
}

void Topology::apply(std::size_t host, const ProbeResult& result, bool final_pass) {
    HostState& h = hosts_[host];
    if (!result.view.reachable) {
        h.view.reachable = false;
        h.error = result.error;
        h.error_code = result.error_code;
        return;
    }
    const bool permits = h.view.breaker_permits;
    if (final_pass) {
        h.view = result.view;
    } else {
        // Lag in bytes is known only at the end of the round; keep the last one meanwhile.
        const auto lag_bytes = h.view.lag_bytes;
        h.view = result.view;
        if (!h.view.lag_bytes && h.view.role == HostRole::Standby) h.view.lag_bytes = lag_bytes;
    }
    h.view.breaker_permits = permits;
    h.error.clear();
    h.error_code.reset();
}

void Topology::settle_roles(std::vector<std::pair<std::size_t, std::uint64_t>>& changed) {
    std::vector<HostView> views;
    for (const auto& h : hosts_) views.push_back(h.view);
    std::optional<std::size_t> chosen;
    for (std::size_t i = 0; i < views.size(); ++i) {
        const auto& v = views[i];
        if (!v.reachable || v.role != HostRole::Primary || !v.writable) continue;
        if (!chosen || v.timeline > views[*chosen].timeline) chosen = i;
    }
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
        HostState& h = hosts_[i];
        if (!h.view.reachable) continue;  // a host we cannot see keeps the role we last saw
        Effective now = Effective::Standby;
        if (h.view.role == HostRole::Primary) now = chosen == i ? Effective::Primary : Effective::OtherPrimary;
        HostLink& link = *links_[i];
        link.expected_role.store(h.view.role, std::memory_order_release);
        if (now == h.effective) continue;
        const Effective before = std::exchange(h.effective, now);
        if (before == Effective::Unknown) continue;  // first sight: nothing to invalidate
        const auto generation = link.generation.fetch_add(1, std::memory_order_acq_rel) + 1;
        h.breaker.reset();
        changed.emplace_back(i, generation);
        log().warn("{} changed role: now {} (timeline {}); generation {}", link.name,
                   now == Effective::Primary        ? "the primary"
                   : now == Effective::OtherPrimary ? (h.view.writable ? "a primary on a lower timeline (split brain)"
                                                                       : "a read-only primary")
                                                    : "a standby",
                   h.view.timeline, generation);
    }
}

void Topology::bump_locked() {
    ++version_;
    std::vector<HostView> views;
    views.reserve(hosts_.size());
    for (const auto& h : hosts_) {
        views.push_back(h.view);
        views.back().breaker_permits = admits_requests(h.breaker.state());
    }
    std::size_t cursor = 0;
    const auto w = route(ConnectionMode::ReadWrite, views, setup_.policy, cursor);
    write_host_.store(w.kind == RouteDecision::Kind::Host ? static_cast<std::int32_t>(w.host) : kNone,
                      std::memory_order_release);
    std::uint64_t mask = 0;
    std::int32_t nearest = kNone;
    for (std::size_t i = 0; i < views.size() && i < 64; ++i) {
        const auto& v = views[i];
        if (!v.reachable || v.role != HostRole::Standby || !v.breaker_permits || !within_lag(v, setup_.policy)) continue;
        mask |= std::uint64_t{1} << i;
        const auto rtt = [&](std::size_t k) { return views[k].rtt.value_or(std::chrono::microseconds::max()); };
        if (nearest == kNone || rtt(i) < rtt(static_cast<std::size_t>(nearest))) nearest = static_cast<std::int32_t>(i);
    }
    read_hosts_.store(mask, std::memory_order_release);
    nearest_read_host_.store(nearest, std::memory_order_release);
}

std::optional<std::size_t> Topology::fast_route(ConnectionMode mode, std::size_t cursor) const noexcept {
    if (mode != ConnectionMode::ReadOnly) {
        const auto h = write_host_.load(std::memory_order_acquire);
        if (h == kNone) return std::nullopt;
        return static_cast<std::size_t>(h);
    }
    if (setup_.policy.read_policy == ReadPolicy::Nearest) {
        const auto h = nearest_read_host_.load(std::memory_order_acquire);
        if (h == kNone) return std::nullopt;
        return static_cast<std::size_t>(h);
    }
    std::uint64_t mask = read_hosts_.load(std::memory_order_acquire);
    if (mask == 0) return std::nullopt;
    auto k = cursor % static_cast<std::size_t>(std::popcount(mask));
    while (k-- > 0) mask &= mask - 1;  // drop the lowest set bits
    return static_cast<std::size_t>(std::countr_zero(mask));
}

bool Topology::primary_known_locked() const {
    return std::any_of(hosts_.begin(), hosts_.end(), [](const HostState& h) {
        return h.view.reachable && h.view.role == HostRole::Primary && h.view.writable;
    });
}

Topology::Snapshot Topology::snapshot() const {
    std::lock_guard lock(mutex_);
    Snapshot s;
    s.version = version_;
    s.settled = rounds_done_ > 0 && rounds_done_ == rounds_started_ && !refresh_requested_ && backoff_.current() == 0ms;
    s.views.reserve(hosts_.size());
    bool any_reachable = false;
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
        const HostState& h = hosts_[i];
        s.views.push_back(h.view);
        s.views.back().breaker_permits = admits_requests(h.breaker.state());
        any_reachable = any_reachable || h.view.reachable;
        if (h.error_code == Errc::auth_failed && !s.auth_failure) s.auth_failure = h.error;
    }
    if (any_reachable) s.auth_failure.reset();
    return s;
}

std::vector<HostStatus> Topology::status() const {
    std::lock_guard lock(mutex_);
    std::vector<HostStatus> out;
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
        const HostState& h = hosts_[i];
        out.push_back({.view = h.view,
                       .error = h.error,
                       .breaker = h.breaker.state(),
                       .retry_at = h.breaker.retry_at(),
                       .generation = links_[i]->generation.load(std::memory_order_acquire),
                       .chosen_primary = h.effective == Effective::Primary && h.view.reachable,
                       .connect_attempts = h.connect_attempts});
        out.back().view.breaker_permits = admits_requests(h.breaker.state());
    }
    return out;
}

bool Topology::split_brain() const {
    std::lock_guard lock(mutex_);
    return std::count_if(hosts_.begin(), hosts_.end(), [](const HostState& h) {
               return h.view.reachable && h.view.role == HostRole::Primary && h.view.writable;
           }) > 1;
}

void Topology::request_refresh() {
    {
        std::lock_guard lock(mutex_);
        refresh_requested_ = true;
    }
    wake_.notify_all();
}

bool Topology::wait_for_change(std::uint64_t version, Deadline deadline) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return version_ != version || stopping_; }) &&
           version_ != version;
}

std::pair<std::uint64_t, bool> Topology::version() const {
    std::lock_guard lock(mutex_);
    return {version_, stopping_};
}

bool Topology::refresh_now(Deadline deadline) {
    std::unique_lock lock(mutex_);
    const auto target = rounds_started_ + 1;
    refresh_requested_ = true;
    wake_.notify_all();
    return changed_.wait_until(lock, deadline, [&] { return rounds_done_ >= target || stopping_; }) &&
           rounds_done_ >= target;
}

void Topology::mark_unreachable(std::size_t host, const std::string& why) {
    HostState& h = hosts_[host];
    h.view.reachable = false;
    h.error = why;
    refresh_requested_ = true;
    bump_locked();
}

void Topology::on_connect(std::size_t host, bool ok, std::chrono::nanoseconds took) noexcept {
    {
        std::lock_guard lock(mutex_);
        HostState& h = hosts_.at(host);
        ++h.connect_attempts;
        // Half-open trials are the prober's: a request's outcome would spend a permit it never took.
        if (h.breaker.state() == BreakerState::Closed) {
            const auto now = SteadyClock::now();
            if (ok) {
                h.breaker.on_success(took, now);
            } else {
                h.breaker.on_failure(took, now);
            }
        }
        if (ok) return;
        mark_unreachable(host, "a connect attempt failed");
    }
    changed_.notify_all();
    wake_.notify_all();
}

void Topology::on_lease_error(std::size_t host, const Error& error, ConnectionMode mode) noexcept {
    {
        std::lock_guard lock(mutex_);
        HostState& h = hosts_.at(host);
        if (host_level_failure(error)) {
            if (h.breaker.state() == BreakerState::Closed) h.breaker.on_failure(0ns, SteadyClock::now());
            mark_unreachable(host, error.what());
        } else if (error.code() == Errc::read_only_violation && mode != ConnectionMode::ReadOnly) {
            // A session opened read-write was refused a write: the host was fenced or demoted.
            // No more writes go there until a probe says otherwise.
            h.view.writable = false;
            refresh_requested_ = true;
            bump_locked();
        } else if (error.poisons_connection()) {
            refresh_requested_ = true;
        } else {
            return;
        }
    }
    changed_.notify_all();
    wake_.notify_all();
}

void Topology::on_role_mismatch(std::size_t host, HostRole seen) noexcept {
    {
        std::lock_guard lock(mutex_);
        log().warn("{}: a new connection found a {} where the topology expected a {}; rediscovering",
                   links_.at(host)->name, name_of(seen),
                   name_of(links_[host]->expected_role.load(std::memory_order_acquire)));
        mark_unreachable(host, std::string("role mismatch: the server is now a ") + name_of(seen));
    }
    changed_.notify_all();
    wake_.notify_all();
}

}  // namespace ucm::pg
