// Requests and outcomes of the sans-io pool core; upkeep is in pool_core_upkeep.cpp.
#include "pool/pool_core.hpp"

#include <algorithm>

namespace ucm::pool {

namespace {

constexpr std::size_t kLastErrorCapacity = 512;

PoolOptions clamped(PoolOptions o) noexcept {
    o.size = std::clamp<std::size_t>(o.size, 1, kMaxPoolSlots);
    o.max_overflow = std::min(o.max_overflow, kMaxPoolSlots - o.size);
    o.min_idle = std::min(o.min_idle, o.size);
    o.lifetime_jitter = std::clamp(o.lifetime_jitter, 0.0, 0.5);
    o.connect_retry_interval = std::max(o.connect_retry_interval, std::chrono::milliseconds::zero());
    o.validate_after_idle = std::max(o.validate_after_idle, std::chrono::milliseconds::zero());
    return o;
}

// splitmix64: tiny, seedable, good enough to spread expiry times.
std::uint64_t next_random(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
}

}  // namespace

PoolCore::PoolCore(const PoolOptions& options, std::uint64_t seed)
    : options_(clamped(options)), validate_after_idle_(options_.validate_after_idle), rng_(seed) {
    const std::size_t capacity = options_.size + options_.max_overflow;
    slots_.resize(capacity);
    idle_.reserve(capacity);
    free_.reserve(capacity);
    for (std::size_t i = capacity; i > 0; --i) free_.push_back(static_cast<SlotId>(i - 1));
    last_error_.reserve(kLastErrorCapacity);
}

// ---- requests -------------------------------------------------------------------------------

bool PoolCore::acquire(Waiter& w, TimePoint now, Actions& out) noexcept {
    w.prev = w.next = nullptr;
    w.fast_counted = false;
    w.nudged = false;
    w.since = now;
    if (shut_down_) {
        ++counters_.rejected_shut_down;
        fail(w, Errc::shut_down);
        return false;
    }
    // An idle connection with waiters queued was left for a head that is not running yet: take
    // it, unless that head has waited too long already (bounded barging, see the file comment).
    if (head_ == nullptr || (!idle_.empty() && !head_starving(now))) {
        if (grant_idle(w, now, out)) {
            w.fast_counted = true;
            ++counters_.acquire_wait[0];
            return w.kind == GrantKind::Ready;
        }
    }
    if (head_ != nullptr) dispatch(now, out);  // a starved head takes what is idle; a back-off ended
    if (head_ == nullptr && can_open(now)) {
        grant_connect(w, take_free());
        return false;
    }
    if (waiting_ >= options_.max_waiters) {
        ++counters_.queue_full;
        fail(w, Errc::queue_full);
        return false;
    }
    if (now >= w.deadline) {
        ++counters_.timeouts;
        fail(w, Errc::pool_timeout);
        return false;
    }
    push_back(w);
    return false;
}

void PoolCore::poll(Waiter& w, TimePoint now, Actions& out) noexcept {
    if (w.state != WaitState::Queued) return;
    w.nudged = false;
    dispatch(now, out);
    if (w.state == WaitState::Queued && now >= w.deadline) {
        unlink(w);
        ++counters_.timeouts;
        fail(w, Errc::pool_timeout);
    }
}

bool PoolCore::cancel(Waiter& w) noexcept {
    if (w.state != WaitState::Queued) return false;
    unlink(w);
    w.state = WaitState::New;
    return true;
}

TimePoint PoolCore::next_wake(const Waiter& w, TimePoint now) const noexcept {
    if (connects_failing_ && opening_ == 0 && retry_at_ > now) return std::min(w.deadline, retry_at_);
    return w.deadline;
}

// ---- outcomes -------------------------------------------------------------------------------

void PoolCore::on_connected(SlotId slot, Waiter* w, TimePoint now, Actions& out) noexcept {
    Slot& s = slots_[slot];
    --opening_;
    if (s.for_pool) --opening_for_pool_;
    ++counters_.created;
    connects_failing_ = false;
    s.expires_at = expiry(now);
    if (shut_down_ || s.generation != generation_) {
        begin_close(slot, out);
        if (w != nullptr && shut_down_) {
            ++counters_.rejected_shut_down;
            fail(*w, Errc::shut_down);
        } else if (w != nullptr) {
            requeue_front(*w, now);
        }
    } else if (w != nullptr) {
        lease(slot, *w, now, GrantKind::Fresh);
    } else if (head_ != nullptr) {
        Waiter& h = *head_;
        unlink(h);
        lease(slot, h, now, GrantKind::Fresh);
        out.push({.kind = ActionKind::Wake, .slot = slot, .waiter = &h, .leak = {}});
    } else {
        make_idle(slot, now);
    }
    dispatch(now, out);  // connects may have been failing until now: serve the rest of the queue
}

void PoolCore::on_connect_failed(SlotId slot, Waiter* w, const ConnectFailure& failure, TimePoint now,
                                 Actions& out) noexcept {
    Slot& s = slots_[slot];
    --opening_;
    if (s.for_pool) --opening_for_pool_;
    s.state = SlotState::Empty;
    free_.push_back(slot);
    ++counters_.connect_failures;
    connects_failing_ = true;
    retry_at_ = now + options_.connect_retry_interval;
    last_error_.assign(failure.message.substr(0, last_error_.capacity()));
    if (w != nullptr) {
        if (shut_down_) {
            ++counters_.rejected_shut_down;
            fail(*w, Errc::shut_down);
        } else if (!failure.retriable) {
            fail(*w, failure.code);
        } else {
            requeue_front(*w, now);
        }
    }
    // Whoever heads the queue now must learn about the back-off and time its own retry.
    if (head_ != nullptr && head_ != w) {
        out.push({.kind = ActionKind::Wake, .slot = 0, .waiter = head_, .leak = {}});
    }
    dispatch(now, out);
}

void PoolCore::on_check_failed(SlotId slot, Waiter& w, TimePoint now, Actions& out) noexcept {
    Slot& s = slots_[slot];
    ++counters_.liveness_failures;
    --in_use_;
    --counters_.acquired;
    if (w.fast_counted) {
        --counters_.acquire_wait[0];
        w.fast_counted = false;
    }
    const bool backing_off = connects_failing_ && !(opening_ == 0 && now >= retry_at_);
    if (shut_down_ || !idle_.empty() || backing_off) {
        begin_close(slot, out);
        if (shut_down_) {
            ++counters_.rejected_shut_down;
            return fail(w, Errc::shut_down);
        }
        if (grant_idle(w, now, out)) return;
        if (can_open(now)) return grant_connect(w, take_free());
        return requeue_front(w, now);
    }
    // Reconnect in place: the driver closes the dead connection, then opens a new one in its slot.
    ++counters_.closed;
    s.state = SlotState::Connecting;
    s.for_pool = false;
    s.generation = generation_;
    ++opening_;
    w.kind = GrantKind::Connect;
}

void PoolCore::abandon_connect(SlotId slot, TimePoint now, Actions& out) noexcept {
    Slot& s = slots_[slot];
    --opening_;
    if (s.for_pool) --opening_for_pool_;
    s.state = SlotState::Empty;
    free_.push_back(slot);
    dispatch(now, out);
}

Duration PoolCore::release(SlotId slot, bool broken, TimePoint now, Actions& out) noexcept {
    Slot& s = slots_[slot];
    --in_use_;
    ++counters_.released;
    const Duration held = elapsed(now, s.leased_at);
    const bool keep = !broken && reusable(s, now);
    if (keep && head_ != nullptr && head_starving(now)) {  // waited long enough: hand it over
        Waiter& h = *head_;
        unlink(h);
        lease(slot, h, now, GrantKind::Ready);
        out.push({.kind = ActionKind::Wake, .slot = slot, .waiter = &h, .leak = {}});
    } else if (keep && head_ != nullptr) {  // idle for the head, which is woken to take it
        make_idle(slot, now);
        nudge_head(out);
    } else if (keep && total() - closing_ <= options_.size) {
        make_idle(slot, now);
    } else {
        begin_close(slot, out);  // broken, stale, expired, shut down, or overflow nobody needs
    }
    return held;
}

void PoolCore::on_closed(SlotId slot, TimePoint now, Actions& out) noexcept {
    slots_[slot].state = SlotState::Empty;
    --closing_;
    ++counters_.closed;
    free_.push_back(slot);
    dispatch(now, out);
}

void PoolCore::record_wait(Duration wait) noexcept { ++counters_.acquire_wait[acquire_wait_bucket(wait)]; }

// ---- helpers --------------------------------------------------------------------------------

bool PoolCore::can_open(TimePoint now) const noexcept {
    if (free_.empty() || shut_down_) return false;
    // While connects fail: one attempt at a time, and none before the back-off ends.
    return !connects_failing_ || (opening_ == 0 && now >= retry_at_);
}

bool PoolCore::grant_idle(Waiter& w, TimePoint now, Actions& out) noexcept {
    if (w.preferred < slots_.size() && slots_[w.preferred].state == SlotState::Idle && !idle_.empty() &&
        idle_.back() != w.preferred) {
        // Bring the preferred connection to the top; the others keep their LIFO order.
        auto it = std::find(idle_.begin(), idle_.end(), w.preferred);
        if (it != idle_.end()) std::rotate(it, it + 1, idle_.end());
    }
    while (!idle_.empty()) {
        const SlotId slot = idle_.back();
        idle_.pop_back();
        Slot& s = slots_[slot];
        if (!reusable(s, now)) {
            begin_close(slot, out);
            continue;
        }
        const bool ping = elapsed(now, s.idle_since) >= validate_after_idle_;
        lease(slot, w, now, ping ? GrantKind::Ping : GrantKind::Ready);
        return true;
    }
    return false;
}

void PoolCore::grant_connect(Waiter& w, SlotId slot) noexcept {
    Slot& s = slots_[slot];
    s.state = SlotState::Connecting;
    s.for_pool = false;
    s.generation = generation_;
    ++opening_;
    w.state = WaitState::Granted;
    w.kind = GrantKind::Connect;
    w.slot = slot;
}

void PoolCore::begin_close(SlotId slot, Actions& out) noexcept {
    slots_[slot].state = SlotState::Closing;
    ++closing_;
    out.push({.kind = ActionKind::Close, .slot = slot, .waiter = nullptr, .leak = {}});
}

void PoolCore::dispatch(TimePoint now, Actions& out) noexcept {
    while (head_ != nullptr) {
        Waiter& h = *head_;
        if (!grant_idle(h, now, out)) {
            if (!can_open(now)) return;
            grant_connect(h, take_free());
        }
        unlink(h);
        out.push({.kind = ActionKind::Wake, .slot = h.slot, .waiter = &h, .leak = {}});
    }
}

void PoolCore::nudge_head(Actions& out) noexcept {
    if (head_->nudged) return;  // already woken and not yet running: no second futex wake
    head_->nudged = true;
    out.push({.kind = ActionKind::Wake, .slot = 0, .waiter = head_, .leak = {}});
}

void PoolCore::requeue_front(Waiter& w, TimePoint now) noexcept {
    if (now >= w.deadline) {
        ++counters_.timeouts;
        return fail(w, Errc::pool_timeout);
    }
    push_front(w);
}

void PoolCore::fail(Waiter& w, Errc code) noexcept {
    w.state = WaitState::Failed;
    w.error = code;
}

SlotId PoolCore::take_free() noexcept {
    const SlotId slot = free_.back();
    free_.pop_back();
    return slot;
}

TimePoint PoolCore::expiry(TimePoint now) noexcept {
    if (!options_.max_lifetime) return TimePoint::max();
    const auto lifetime = std::chrono::duration_cast<Duration>(*options_.max_lifetime);
    // Uniform in [0, 1) from the top 53 bits; the lifetime is shortened by up to `jitter` of itself.
    const double u = static_cast<double>(next_random(rng_) >> 11U) * 0x1.0p-53;
    const auto cut =
        static_cast<Duration::rep>(static_cast<double>(lifetime.count()) * options_.lifetime_jitter * u);
    return now + lifetime - Duration(cut);
}

void PoolCore::push_back(Waiter& w) noexcept {
    w.state = WaitState::Queued;
    w.prev = tail_;
    w.next = nullptr;
    (tail_ != nullptr ? tail_->next : head_) = &w;
    tail_ = &w;
    ++waiting_;
}

void PoolCore::push_front(Waiter& w) noexcept {
    w.state = WaitState::Queued;
    w.prev = nullptr;
    w.next = head_;
    (head_ != nullptr ? head_->prev : tail_) = &w;
    head_ = &w;
    ++waiting_;
}

void PoolCore::unlink(Waiter& w) noexcept {
    (w.prev != nullptr ? w.prev->next : head_) = w.next;
    (w.next != nullptr ? w.next->prev : tail_) = w.prev;
    w.prev = w.next = nullptr;
    --waiting_;
}

}  // namespace ucm::pool
