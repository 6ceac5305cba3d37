#pragma once
// The vocabulary between the sans-io pool core and its drivers: a request (Waiter) and the
// actions the core asks a driver to perform (Action, Actions). Kept apart from pool_core.hpp so
// that a driver's own waiter type can extend Waiter without seeing the core's internals.

#include "pool/pool_clock.hpp"

#include <ucm/core/errc.hpp>
#include <ucm/pool/pool_stats.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <source_location>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ucm::pool {

/// Index of a slot: one place for a connection, fixed for the pool's life.
using SlotId = std::uint32_t;
/// No slot: a Waiter without a preferred connection.
inline constexpr SlotId kNoSlot = 0xFFFF'FFFFu;

/// What a granted request got.
enum class GrantKind : std::uint8_t {
    Ready,    ///< an open connection: run the cheap is_alive() check, then hand it out
    Ping,     ///< an open connection idle past validate_after_idle: ping it, then hand it out
    Connect,  ///< a reserved slot: open a connection into it (closing the slot's old one first)
    Fresh,    ///< a connection just opened for this request: hand it out as it is
};

/// Where a request stands.
enum class WaitState : std::uint8_t { New, Queued, Granted, Failed };

/// One acquire request. The driver owns it (the blocking driver on the waiting thread's stack, the
/// async driver in the coroutine frame) and keeps it alive while it is queued; the core links it
/// into its FIFO (intrusive, so queueing never allocates) and writes the outcome into it.
///
/// Thread safety: not thread-safe; touched only under the driver's serialisation (its lock).
struct Waiter {
    // Set by the driver before acquire():
    TimePoint deadline{};         ///< past it, Errc::pool_timeout
    std::source_location site{};  ///< the caller, for leak reports
    /// The idle connection this caller would like (the one its thread released last), or kNoSlot.
    /// Keeping a thread on its own connection keeps the scheduler's pairing of client thread and
    /// server backend; plain LIFO handed threads each other's connections (measured: 0.63 of raw
    /// libpq at 4 threads, from CPU migrations).
    SlotId preferred = kNoSlot;
    /// How the driver wakes this request (a thread's condition variable, a coroutine's timer);
    /// called for a Wake action, under the driver's lock.
    void (*wake)(Waiter&) noexcept = nullptr;
    // Written by the core:
    WaitState state = WaitState::New;
    GrantKind kind = GrantKind::Ready;
    bool fast_counted = false;        ///< the core counted this as a zero wait; the driver records no wait
    bool nudged = false;              ///< woken to look at an idle connection; cleared when it polls
    TimePoint since{};                ///< when acquire() was called
    SlotId slot = 0;                  ///< valid when Granted
    Errc error = Errc::pool_timeout;  ///< valid when Failed
    Waiter* prev = nullptr;
    Waiter* next = nullptr;
};

/// What the core asks of its driver.
enum class ActionKind : std::uint8_t {
    Wake,        ///< `waiter` was granted or failed: wake it, while still holding the pool lock
                 ///< (once awake it may return and its Waiter cease to exist)
    Close,       ///< close the connection in `slot` outside the lock, then call on_closed()
    Open,        ///< open a connection into `slot` for the pool itself (min_idle), outside the
                 ///< lock, then call on_connected() or on_connect_failed() with no waiter
    ReportLeak,  ///< tell the observer about `leak` (outside the lock)
};

struct Action {
    ActionKind kind = ActionKind::Wake;
    SlotId slot = 0;
    Waiter* waiter = nullptr;
    LeakReport leak{};
};

/// The actions of one core call: four inline, so the acquire and release paths never allocate;
/// bulk calls (maintain, shutdown, set_generation) may spill to the heap.
///
/// Thread safety: not thread-safe; one per call, owned by the calling thread.
class Actions {
  public:
    // The inline storage is left uninitialised: zeroing it cost a `rep stos` of 192 bytes, more
    // than half of the core's acquire + release (measured in bench/pool_acquire_bench.cpp).
    Actions() noexcept {}  // NOLINT(modernize-use-equals-default): `= default` would zero inline_

    void push(const Action& action) {
        if (size_ < kInline) {
            std::construct_at(&inline_.items[size_], action);
        } else {
            spill_.push_back(action);
        }
        ++size_;
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] const Action& operator[](std::size_t i) const noexcept {
        return i < kInline ? inline_.items[i] : spill_[i - kInline];
    }
    void clear() noexcept {
        size_ = 0;
        spill_.clear();
    }

  private:
    static constexpr std::size_t kInline = 4;
    static_assert(std::is_trivially_copyable_v<Action> && std::is_trivially_destructible_v<Action>);
    union Inline {
        Inline() noexcept {}  // NOLINT(modernize-use-equals-default)
        Action items[kInline];
    };
    Inline inline_;
    std::size_t size_ = 0;
    std::vector<Action> spill_{};
};

/// Why a connect attempt failed, as the driver saw it.
struct ConnectFailure {
    std::string_view message{};  ///< kept (truncated) as the pool's last connect error
    bool retriable = true;       ///< false (e.g. auth_failed): fail the requester now, no retry
    Errc code = Errc::connection_failed;
};

}  // namespace ucm::pool
