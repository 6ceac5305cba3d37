#pragma once
// The pool's logic, written once for every driver (STYLE B6): a sans-io state machine of slots and
// FIFO waiters. Every call takes `now` and an outcome and appends actions for the driver to carry
// out (wake a waiter, open or close a slot's connection, report a leak). No locks, no I/O, no
// exceptions, no clock reads; all storage is allocated up front, so the acquire and release paths
// never allocate. Semantics: `size` persistent connections plus `max_overflow` temporary ones,
// closed on release when no waiter needs them (SQLAlchemy QueuePool); idle connections reused
// LIFO so the surplus ages out; waiters served in FIFO order.
//
// Fairness with bounded barging: a release with waiters queued makes the connection idle and wakes
// the first waiter; a newcomer that arrives before that waiter runs may take the connection. Once
// the first waiter has waited kStarvationThreshold, releases hand connections straight to it
// (and newcomers queue behind it), so no waiter is overtaken for longer than that. Strict direct
// handoff (always give the connection to the sleeping head) was measured to collapse into a lock
// convoy once threads outnumber cores: every released connection waits for a thread to be
// scheduled; 8 threads over 4 connections on 2 cores ran at ~900 ns per acquire + release, and a
// bound of 4 overtakes instead of a time bound was no better. Go's sync.Mutex (starvation mode
// after 1 ms) and HikariCP's ConcurrentBag make the same trade.

#include "pool/pool_actions.hpp"
#include "pool/pool_clock.hpp"

#include <ucm/pool/pool_options.hpp>
#include <ucm/pool/pool_stats.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::pool {

enum class SlotState : std::uint8_t { Empty, Connecting, Idle, Leased, Closing };

/// How long the first waiter may be overtaken by newcomers before releases are handed to it
/// directly. Compared with coarse-clock readings, so in effect 1 to 2 ticks (4-8 ms here).
inline constexpr std::chrono::milliseconds kStarvationThreshold{1};

/// Thread safety: not thread-safe; the driver serialises every call (one mutex in the blocking
/// driver, one strand in the async one).
class PoolCore {
  public:
    /// Out-of-range options are clamped (the core never throws; drivers validate() first).
    /// `seed` drives the lifetime jitter, so tests are deterministic.
    PoolCore(const PoolOptions& options, std::uint64_t seed);

    // ---- requests ---------------------------------------------------------------------------
    /// A new request: granted at once (idle connection, or a slot to connect), queued, or failed
    /// (shut_down, queue_full, or pool_timeout when its deadline has passed already). Returns true
    /// when it was granted an idle connection that needs only the cheap check (GrantKind::Ready):
    /// the driver's fast path tests that instead of reading back `w`.
    bool acquire(Waiter& w, TimePoint now, Actions& out) noexcept;
    /// A queued request woke on its own timer: serves it if it can, times it out past its deadline.
    void poll(Waiter& w, TimePoint now, Actions& out) noexcept;
    /// Withdraws a queued request; false if it is not queued (it may have been granted meanwhile).
    bool cancel(Waiter& w) noexcept;
    /// When a queued request should wake up by itself: its deadline, or the end of the connect
    /// back-off if it may then be the one to retry.
    [[nodiscard]] TimePoint next_wake(const Waiter& w, TimePoint now) const noexcept;

    // ---- outcomes -----------------------------------------------------------------------------
    /// A connect into `slot` succeeded; `w` is the request that asked (null for min_idle opens).
    void on_connected(SlotId slot, Waiter* w, TimePoint now, Actions& out) noexcept;
    /// A connect into `slot` failed. A retriable failure requeues `w` at the head of the queue.
    void on_connect_failed(SlotId slot, Waiter* w, const ConnectFailure& failure, TimePoint now,
                           Actions& out) noexcept;
    /// The granted connection failed is_alive() or ping(): `w` gets another idle connection, or
    /// the slot to reconnect in place; the caller never sees the failure.
    void on_check_failed(SlotId slot, Waiter& w, TimePoint now, Actions& out) noexcept;
    /// A request granted a slot to connect gives it up without connecting (its coroutine was
    /// cancelled): the slot is free again and goes to the next request. Not a connect failure.
    void abandon_connect(SlotId slot, TimePoint now, Actions& out) noexcept;
    /// A lease came back. Returns how long it was held.
    Duration release(SlotId slot, bool broken, TimePoint now, Actions& out) noexcept;
    /// The connection of a Closing slot is closed; the slot is free again.
    void on_closed(SlotId slot, TimePoint now, Actions& out) noexcept;
    /// Counts a successful acquire that was not served at once, measured by the driver.
    void record_wait(Duration wait) noexcept;

    // ---- upkeep (pool_core_upkeep.cpp) -----------------------------------------------------
    /// Background upkeep: times out waiters, retries connects after the back-off, closes expired,
    /// stale and (above min_idle) long-idle connections, reports leaks, opens up to min_idle.
    void maintain(TimePoint now, Actions& out) noexcept;
    /// A role change: idle connections of older generations close now, leased ones on release,
    /// connects in flight when they complete; a connect back-off ends (it concerned the old target).
    void set_generation(std::uint64_t generation, Actions& out) noexcept;
    void set_min_idle(std::size_t min_idle) noexcept { options_.min_idle = std::min(min_idle, options_.size); }
    /// New requests fail with shut_down, queued ones now; idle connections close now, leased ones
    /// on release.
    void shutdown(Actions& out) noexcept;

    // ---- observation --------------------------------------------------------------------------
    [[nodiscard]] PoolStats stats() const noexcept;
    /// Leases held at least leak_threshold (empty if that is unset). Allocates: not for hot paths.
    [[nodiscard]] std::vector<LeakReport> long_holders(TimePoint now) const;
    /// Nothing on loan, opening or closing.
    [[nodiscard]] bool drained() const noexcept { return in_use_ == 0 && opening_ == 0 && closing_ == 0; }
    [[nodiscard]] bool is_shut_down() const noexcept { return shut_down_; }
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
    /// True since the last connect failed, until one succeeds.
    [[nodiscard]] bool connects_failing() const noexcept { return connects_failing_; }
    /// The message of the most recent failed connect (empty if none ever failed).
    [[nodiscard]] std::string_view last_connect_error() const noexcept { return last_error_; }
    [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
    [[nodiscard]] SlotState slot_state(SlotId slot) const noexcept { return slots_[slot].state; }
    /// When the connection in `slot` expires (TimePoint::max() without max_lifetime).
    [[nodiscard]] TimePoint expires_at(SlotId slot) const noexcept { return slots_[slot].expires_at; }

  private:
    // One cache line per slot: indexing is a shift, and two cores working on different slots
    // never write to the same line.
    struct alignas(64) Slot {
        SlotState state = SlotState::Empty;
        bool for_pool = false;       ///< Connecting for min_idle, not for a request
        bool leak_reported = false;  ///< this lease was reported already
        std::uint64_t generation = 0;
        TimePoint expires_at{};
        TimePoint idle_since{};
        TimePoint leased_at{};
        std::source_location site{};
    };

    [[nodiscard]] std::size_t total() const noexcept { return slots_.size() - free_.size(); }
    [[nodiscard]] bool can_open(TimePoint now) const noexcept;
    [[nodiscard]] bool reusable(const Slot& slot, TimePoint now) const noexcept {
        return !shut_down_ && slot.generation == generation_ && now < slot.expires_at;
    }
    bool grant_idle(Waiter& w, TimePoint now, Actions& out) noexcept;
    void grant_connect(Waiter& w, SlotId slot) noexcept;
    // lease() and make_idle() are on the acquire and release paths: defined here to be inlined.
    void lease(SlotId slot, Waiter& w, TimePoint now, GrantKind kind) noexcept {
        Slot& s = slots_[slot];
        s.state = SlotState::Leased;
        s.leased_at = now;
        s.site = w.site;
        s.leak_reported = false;
        ++in_use_;
        ++counters_.acquired;
        w.state = WaitState::Granted;
        w.kind = kind;
        w.slot = slot;
    }
    void make_idle(SlotId slot, TimePoint now) noexcept {
        Slot& s = slots_[slot];
        s.state = SlotState::Idle;
        s.idle_since = now;
        idle_.push_back(slot);  // never reallocates: reserved for every slot up front
    }
    void begin_close(SlotId slot, Actions& out) noexcept;
    void dispatch(TimePoint now, Actions& out) noexcept;
    void nudge_head(Actions& out) noexcept;
    [[nodiscard]] bool head_starving(TimePoint now) const noexcept {
        return elapsed(now, head_->since) >= kStarvationThreshold;
    }
    void requeue_front(Waiter& w, TimePoint now) noexcept;
    void fail(Waiter& w, Errc code) noexcept;
    SlotId take_free() noexcept;
    [[nodiscard]] TimePoint expiry(TimePoint now) noexcept;
    void push_back(Waiter& w) noexcept;
    void push_front(Waiter& w) noexcept;
    void unlink(Waiter& w) noexcept;
    void expire_waiters(TimePoint now, Actions& out) noexcept;
    void close_idle(TimePoint now, Actions& out) noexcept;
    void report_leaks(TimePoint now, Actions& out) noexcept;
    void warm_up(TimePoint now, Actions& out) noexcept;

    PoolOptions options_;
    Duration validate_after_idle_;  ///< options_.validate_after_idle, converted once
    std::vector<Slot> slots_;
    std::vector<SlotId> idle_;  ///< LIFO: back() is the most recently released
    std::vector<SlotId> free_;  ///< Empty slots
    Waiter* head_ = nullptr;    ///< FIFO of queued requests
    Waiter* tail_ = nullptr;
    std::size_t waiting_ = 0;
    std::size_t in_use_ = 0;
    std::size_t opening_ = 0;
    std::size_t opening_for_pool_ = 0;
    std::size_t closing_ = 0;
    std::uint64_t generation_ = 0;
    std::uint64_t rng_;
    bool shut_down_ = false;
    bool connects_failing_ = false;
    TimePoint retry_at_{};    ///< no connect before this while connects_failing_
    std::string last_error_;  ///< capacity reserved up front; assigned without allocating
    PoolStats counters_{};    ///< only the cumulative counters are kept up to date here
};

}  // namespace ucm::pool
