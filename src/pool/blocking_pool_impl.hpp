#pragma once
// The inside of BlockingPool (blocking_pool.hpp), shared by its two source files:
// blocking_pool.cpp (the request paths: acquire, release, upkeep, shutdown) and
// blocking_pool_io.cpp (carrying out the core's actions: connects, closes, wake-ups, messages).

#include "pool/blocking_pool.hpp"
#include "pool/pool_core.hpp"

#include <ucm/core/errc.hpp>

#include <asio/awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ucm::pool {

/// A blocking request: the core's Waiter plus the condition variable its thread sleeps on, built
/// only when the request has to queue. Its storage is left uninitialised until then: zeroing it
/// (a `rep stos`) was a visible share of the uncontended acquire.
struct BlockingWaiter : Waiter {
    BlockingWaiter() noexcept { wake = &BlockingWaiter::notify; }  // must not zero `storage_`
    BlockingWaiter(const BlockingWaiter&) = delete;
    BlockingWaiter& operator=(const BlockingWaiter&) = delete;
    ~BlockingWaiter() {
        if (has_cv_) storage_.cv.~condition_variable();
    }
    std::condition_variable& cv() {
        if (!has_cv_) {
            std::construct_at(&storage_.cv);
            has_cv_ = true;
        }
        return storage_.cv;
    }
    static void notify(Waiter& w) noexcept {
        auto& self = static_cast<BlockingWaiter&>(w);
        if (self.has_cv_) self.storage_.cv.notify_one();
    }

  private:
    union Storage {
        Storage() noexcept {}  // NOLINT(modernize-use-equals-default)
        ~Storage() {}          // NOLINT(modernize-use-equals-default)
        std::condition_variable cv;
    } storage_;
    bool has_cv_ = false;
};

struct AsyncWaiter;  // a coroutine's request (blocking_pool_async.cpp)

/// What one connect attempt produced.
struct ConnectResult {
    bool ok = false;
    std::string message{};
    bool retriable = true;
    Errc code = Errc::connection_failed;
    std::exception_ptr fatal{};  ///< a non-retriable error, rethrown to the requester as it is
};

/// The pool's state, shared with its leases: it outlives the BlockingPool handle until the last
/// lease is back (see finish()).
///
/// Thread safety: safe to share; everything below `mutex_` is guarded by it, except resources_.
class BlockingPool::Impl final : public LeaseOwner {
  public:
    explicit Impl(BlockingPoolSetup setup)
        : core_(setup.options, setup.jitter_seed != 0 ? setup.jitter_seed : std::random_device{}()),
          resources_(core_.capacity()),
          async_lessee_(core_.capacity(), 0),
          factory_(std::move(setup.factory)),
          async_factory_(std::move(setup.async_factory)),
          endpoint_(std::move(setup.endpoint)),
          observer_(setup.observer),
          clock_(setup.clock) {}

    // Plain values, not std::optional: building an optional on the stack and loading it back
    // whole stalled store forwarding on the uncontended path.
    static constexpr TimePoint kNoDeadline = TimePoint::min();
    static constexpr Duration kDefaultTimeout = Duration::min();
    Lease acquire(TimePoint deadline, Duration timeout, std::source_location site);
    /// acquire() for coroutines, in the same FIFO (blocking_pool_async.cpp).
    asio::awaitable<Lease> async_acquire(TimePoint deadline, std::source_location site);
    void release_slot(std::uint32_t slot, PooledResource& resource, bool broken) noexcept override;
    void release_now(std::uint32_t slot, PooledResource& resource, bool broken) noexcept;
    void maintain();
    void set_generation(std::optional<std::uint64_t> generation, std::uint64_t* result);
    void set_min_idle(std::size_t min_idle);
    bool shutdown(std::chrono::milliseconds wait);
    void abandon() noexcept;

    PoolStats stats() const {
        std::lock_guard lk(mutex_);
        return core_.stats();
    }
    std::vector<LeakReport> long_holders() const {
        std::lock_guard lk(mutex_);
        return core_.long_holders(now());
    }
    std::string last_connect_error() const {
        std::lock_guard lk(mutex_);
        return std::string(core_.last_connect_error());
    }
    const std::string& endpoint() const noexcept { return endpoint_; }

  private:
    // A plain std::mutex: spinning before sleeping (try_lock + pause, 4 to 64 rounds) was
    // measured slower at 1, 2 and 8 threads on these 2-core machines.
    using Lock = std::unique_lock<std::mutex>;

    const Clock* clock() const noexcept { return clock_.load(std::memory_order_relaxed); }
    PoolObserver* observer() const noexcept { return observer_.load(std::memory_order_relaxed); }
    TimePoint now() const noexcept {
        const Clock* c = clock();
        return c != nullptr ? c->now() : coarse_now();
    }
    TimePoint precise_now() const noexcept {
        const Clock* c = clock();
        return c != nullptr ? c->now() : std::chrono::steady_clock::now();
    }

    // The uncontended path of both acquires: an idle connection granted at once and alive (the
    // lock released, the observer told). Otherwise false, with the lock held and a failed check
    // already reported to the core: the slow path takes over. Inline: it is the hot path.
    bool granted_at_once(Lock& lk, Waiter& w, TimePoint start, Actions& actions) {
        if (!core_.acquire(w, start, actions) || !actions.empty()) [[unlikely]] return false;
        lk.unlock();
        if (resources_[w.slot]->is_alive()) [[likely]] {
            if (PoolObserver* o = observer(); o != nullptr) {
                o->on_acquire({.outcome = AcquireOutcome::Granted, .wait = {}});
            }
            return true;
        }
        lk.lock();
        core_.on_check_failed(w.slot, w, now(), actions);
        return false;
    }
    Lease acquire_slow(Lock& lk, BlockingWaiter& w, Actions& actions);
    /// How long a connect for `w` may take: its own deadline, capped by connect_timeout.
    TimePoint connect_deadline(const Waiter& w) const {
        return std::min(w.deadline, precise_now() + core_.options().connect_timeout);
    }
    /// The end of a slow acquire that got its connection: counts the wait, leaves the pool's
    /// inside, tells the observer. Called with the lock held; releases it.
    Lease hand_out(Lock& lk, const Waiter& w, TimePoint started);
    void wait(Lock& lk, BlockingWaiter& w);
    bool check(const Waiter& w);
    asio::awaitable<void> sleep(AsyncWaiter& w);
    void perform_async(Lock& lk, Actions& actions);
    void withdraw(Lock& lk, AsyncWaiter& w) noexcept;
    ConnectResult connect(SlotId slot, TimePoint deadline);
    asio::awaitable<ConnectResult> async_connect(SlotId slot, TimePoint deadline);
    void discard(SlotId slot) noexcept;
    ConnectResult connected(SlotId slot, std::unique_ptr<PooledResource> resource, std::chrono::steady_clock::time_point begun);
    ConnectResult connect_failed(const std::exception_ptr& failure, std::chrono::steady_clock::time_point begun);
    void report_connect(SlotId slot, Waiter* w, const ConnectResult& result, Actions& actions);
    void perform(Lock& lk, Actions& actions);
    void wake_new(const Actions& actions, std::size_t from) noexcept;
    /// Unlocks; true if the caller must now delete this (pool gone, nothing out, nobody inside).
    bool finish(Lock& lk) noexcept {
        if (!core_.is_shut_down()) [[likely]] {  // abandon() shuts the core down first
            lk.unlock();
            return false;
        }
        return finish_shut_down(lk);
    }
    bool finish_shut_down(Lock& lk) noexcept;
    std::string failure_message(const Waiter& w, TimePoint start) const;
    [[noreturn]] void fail(Lock& lk, const Waiter& w, TimePoint start, const std::exception_ptr& fatal);

    mutable std::mutex mutex_;
    PoolCore core_;
    // One per slot; touched only by the thread the core gave that slot to (lessee, connector or
    // closer), so it needs no lock of its own.
    std::vector<std::unique_ptr<PooledResource>> resources_;
    // Per slot, like resources_: 1 while a coroutine holds the lease (its release must not block).
    std::vector<std::uint8_t> async_lessee_;
    ResourceFactory factory_;
    AsyncResourceFactory async_factory_;
    std::string endpoint_;
    // Both belong to the pool's owner, who may destroy them once the BlockingPool is gone, while
    // leases are still out: abandon() clears them, so late releases call neither. Atomic so that
    // clearing them does not race with the lock-free reads on the release path (relaxed: a load).
    std::atomic<PoolObserver*> observer_;
    std::atomic<const Clock*> clock_;
    std::condition_variable drained_cv_;
    std::size_t inside_ = 0;  ///< threads that will lock again (waiting, or doing I/O for the pool)
    std::size_t deferred_ = 0;  ///< coroutine releases resetting on the blocking-work threads
    bool abandoned_ = false;  ///< the BlockingPool is gone; the last one out deletes this
};

}  // namespace ucm::pool
