// Upkeep and observation of the sans-io pool core: what a background task runs (maintain), what
// the topology changes (set_generation), the end (shutdown), and the numbers (stats, leaks).
#include "pool/pool_core.hpp"

namespace ucm::pool {

void PoolCore::maintain(TimePoint now, Actions& out) noexcept {
    expire_waiters(now, out);
    dispatch(now, out);
    close_idle(now, out);
    report_leaks(now, out);
    warm_up(now, out);
}

void PoolCore::set_generation(std::uint64_t generation, Actions& out) noexcept {
    if (generation == generation_) return;
    generation_ = generation;
    for (const SlotId slot : idle_) begin_close(slot, out);
    idle_.clear();
    // What was failing to connect is not where connections go now (a new primary or master):
    // the back-off of the old target must not delay the first connect to the new one.
    if (connects_failing_) {
        connects_failing_ = false;
        if (head_ != nullptr) out.push({.kind = ActionKind::Wake, .slot = 0, .waiter = head_, .leak = {}});
    }
}

void PoolCore::shutdown(Actions& out) noexcept {
    if (shut_down_) return;
    shut_down_ = true;
    while (head_ != nullptr) {
        Waiter& h = *head_;
        unlink(h);
        ++counters_.rejected_shut_down;
        fail(h, Errc::shut_down);
        out.push({.kind = ActionKind::Wake, .slot = 0, .waiter = &h, .leak = {}});
    }
    for (const SlotId slot : idle_) begin_close(slot, out);
    idle_.clear();
}

PoolStats PoolCore::stats() const noexcept {
    PoolStats s = counters_;
    s.total = total();
    s.idle = idle_.size();
    s.in_use = in_use_;
    s.opening = opening_;
    s.closing = closing_;
    s.waiting = waiting_;
    s.overflow_in_use = s.total > options_.size ? s.total - options_.size : 0;
    s.generation = generation_;
    return s;
}

std::vector<LeakReport> PoolCore::long_holders(TimePoint now) const {
    std::vector<LeakReport> holders;
    if (!options_.leak_threshold) return holders;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        const Slot& s = slots_[i];
        const Duration held = elapsed(now, s.leased_at);
        if (s.state == SlotState::Leased && held >= *options_.leak_threshold) {
            holders.push_back({.slot = static_cast<SlotId>(i), .acquired_at = s.site, .held = held});
        }
    }
    return holders;
}

void PoolCore::expire_waiters(TimePoint now, Actions& out) noexcept {
    for (Waiter* w = head_; w != nullptr;) {
        Waiter* next = w->next;
        if (now >= w->deadline) {
            unlink(*w);
            ++counters_.timeouts;
            fail(*w, Errc::pool_timeout);
            out.push({.kind = ActionKind::Wake, .slot = 0, .waiter = w, .leak = {}});
        }
        w = next;
    }
}

// idle_ is ordered by release time, oldest first, so closing from the front ages out the surplus.
void PoolCore::close_idle(TimePoint now, Actions& out) noexcept {
    std::size_t kept = 0;
    std::size_t idle_left = idle_.size();
    for (const SlotId slot : idle_) {
        const Slot& s = slots_[slot];
        const bool idled_out = options_.idle_timeout && idle_left > options_.min_idle &&
                               elapsed(now, s.idle_since) >= *options_.idle_timeout;
        if (!reusable(s, now) || idled_out) {
            begin_close(slot, out);
            --idle_left;
        } else {
            idle_[kept++] = slot;
        }
    }
    idle_.resize(kept);
}

void PoolCore::report_leaks(TimePoint now, Actions& out) noexcept {
    if (!options_.leak_threshold) return;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        const Duration held = elapsed(now, s.leased_at);
        if (s.state != SlotState::Leased || s.leak_reported || held < *options_.leak_threshold) continue;
        s.leak_reported = true;
        ++counters_.leaks_suspected;
        const auto slot = static_cast<SlotId>(i);
        out.push({.kind = ActionKind::ReportLeak,
                  .slot = slot,
                  .waiter = nullptr,
                  .leak = {.slot = slot, .acquired_at = s.site, .held = held}});
    }
}

// min_idle counts idle connections plus those being opened for it, and never opens overflow.
void PoolCore::warm_up(TimePoint now, Actions& out) noexcept {
    std::size_t warm = idle_.size() + opening_for_pool_;
    while (warm < options_.min_idle && total() - closing_ < options_.size && can_open(now)) {
        const SlotId slot = take_free();
        Slot& s = slots_[slot];
        s.state = SlotState::Connecting;
        s.for_pool = true;
        s.generation = generation_;
        ++opening_;
        ++opening_for_pool_;
        ++warm;
        out.push({.kind = ActionKind::Open, .slot = slot, .waiter = nullptr, .leak = {}});
    }
}

}  // namespace ucm::pool
