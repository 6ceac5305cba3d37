#pragma once

#include <ucm/export.hpp>
#include <ucm/pool/pool_stats.hpp>

#include <chrono>
#include <cstdint>

namespace ucm::pool {

/// How an acquire ended.
enum class AcquireOutcome : std::uint8_t { Granted, Timeout, QueueFull, ShutDown, ConnectFailed };

/// One acquire, reported when it ends.
struct AcquireEvent {
    AcquireOutcome outcome = AcquireOutcome::Granted;
    /// Time from the call until it ended; exactly zero when an idle connection was free at once
    /// (that path reads no precise clock).
    std::chrono::nanoseconds wait{};
};

/// One release, reported after the connection was pooled, handed on or closed.
struct ReleaseEvent {
    /// How long the lease was held, on the pool's coarse clock (a few ms resolution).
    std::chrono::nanoseconds held{};
    bool broken = false;  ///< the lease was marked broken, or reset() said MustClose
};

/// One connect attempt.
struct ConnectEvent {
    bool ok = false;
    std::chrono::nanoseconds duration{};  ///< measured on the precise clock
};

/// Hooks for metrics and SLA tracking, called by the pool drivers outside any pool lock, on the
/// thread doing the work. Implementations must be cheap, must not allocate on the hot path
/// (`on_acquire`, `on_release`) and must not call back into the pool. The default does nothing;
/// a pool with no observer pays one null check per call.
///
/// Thread safety: called from many threads at once; implementations must be safe to share.
/// Lifetime: must outlive every pool it is given to.
class UCM_EXPORT PoolObserver {
  public:
    PoolObserver() = default;
    PoolObserver(const PoolObserver&) = delete;
    PoolObserver& operator=(const PoolObserver&) = delete;
    virtual ~PoolObserver() = default;

    virtual void on_acquire(const AcquireEvent& /*event*/) noexcept {}
    virtual void on_release(const ReleaseEvent& /*event*/) noexcept {}
    virtual void on_connect(const ConnectEvent& /*event*/) noexcept {}
    /// A lease passed leak_threshold; reported once per lease. Log it with `report.acquired_at`.
    virtual void on_leak_suspected(const LeakReport& /*report*/) noexcept {}
};

}  // namespace ucm::pool
