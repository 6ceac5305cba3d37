#include "pool/blocking_pool_impl.hpp"

#include "core/blocking_offload.hpp"

#include <ucm/core/error.hpp>

namespace ucm::pool {

namespace {

AcquireOutcome outcome_of(Errc code) noexcept {
    switch (code) {
        case Errc::pool_timeout:
            return AcquireOutcome::Timeout;
        case Errc::queue_full:
            return AcquireOutcome::QueueFull;
        case Errc::shut_down:
            return AcquireOutcome::ShutDown;
        default:
            return AcquireOutcome::ConnectFailed;
    }
}

// The connection this thread released last, per pool: a hint for its next acquire.
struct ReleaseHint {
    const void* pool = nullptr;
    SlotId slot = kNoSlot;
};
thread_local ReleaseHint last_released;

}  // namespace

// ---- acquire --------------------------------------------------------------------------------

Lease BlockingPool::Impl::acquire(TimePoint deadline, Duration timeout, std::source_location site) {
    BlockingWaiter w;
    w.site = site;
    if (last_released.pool == this) w.preferred = last_released.slot;
    Actions actions;
    Lock lk(mutex_);
    const TimePoint start = now();
    if (deadline != kNoDeadline) {
        w.deadline = deadline;
    } else if (timeout != kDefaultTimeout) {
        w.deadline = start + timeout;
    } else {
        w.deadline = start + core_.options().acquire_timeout;
    }
    if (granted_at_once(lk, w, start, actions)) [[likely]] return Lease(*this, *resources_[w.slot], w.slot);
    return acquire_slow(lk, w, actions);
}

// Everything but "an idle connection was free and alive": queueing, connecting, checks that fail.
Lease BlockingPool::Impl::acquire_slow(Lock& lk, BlockingWaiter& w, Actions& actions) {
    const TimePoint started = precise_now();
    std::exception_ptr fatal;
    ++inside_;
    for (;;) {
        perform(lk, actions);
        if (w.state == WaitState::Queued) {
            // A nudge may have come while this thread was not asleep (doing I/O unlocked): the
            // flag, read under the lock, is what counts, not the notification.
            if (!w.nudged) wait(lk, w);
            core_.poll(w, precise_now(), actions);
            continue;
        }
        if (w.state == WaitState::Failed) fail(lk, w, started, fatal);
        const SlotId slot = w.slot;
        if (w.kind == GrantKind::Ready || w.kind == GrantKind::Ping) {
            lk.unlock();
            const bool alive = check(w);
            lk.lock();
            if (!alive) {
                core_.on_check_failed(slot, w, precise_now(), actions);
                continue;
            }
        } else if (w.kind == GrantKind::Connect) {
            const TimePoint until = connect_deadline(w);
            lk.unlock();
            ConnectResult result = connect(slot, until);
            lk.lock();
            if (result.fatal) fatal = result.fatal;
            report_connect(slot, &w, result, actions);
            continue;
        }
        break;  // granted, checked or fresh
    }
    return hand_out(lk, w, started);
}

Lease BlockingPool::Impl::hand_out(Lock& lk, const Waiter& w, TimePoint started) {
    const Duration waited = elapsed(precise_now(), started);
    if (!w.fast_counted) core_.record_wait(waited);
    --inside_;
    lk.unlock();
    if (PoolObserver* o = observer(); o != nullptr) {
        o->on_acquire({.outcome = AcquireOutcome::Granted, .wait = waited});
    }
    return Lease(*this, *resources_[w.slot], w.slot);
}

void BlockingPool::Impl::wait(Lock& lk, BlockingWaiter& w) {
    std::condition_variable& cv = w.cv();
    const TimePoint wake_at = core_.next_wake(w, precise_now());
    if (const Clock* c = clock(); c == nullptr) {
        cv.wait_until(lk, wake_at);
    } else {  // an injected clock has its own epoch: sleep for the time it says is left
        cv.wait_for(lk, wake_at - c->now());
    }
}

bool BlockingPool::Impl::check(const Waiter& w) {
    PooledResource& resource = *resources_[w.slot];
    if (!resource.is_alive()) return false;
    if (w.kind != GrantKind::Ping) return true;
    return resource.ping(std::min(w.deadline, now() + core_.options().connect_timeout));
}

[[noreturn]] void BlockingPool::Impl::fail(Lock& lk, const Waiter& w, TimePoint start,
                                           const std::exception_ptr& fatal) {
    const Errc code = w.error;
    ErrorInfo info{.code = code, .message = failure_message(w, start), .endpoint = endpoint_};
    const AcquireEvent event{.outcome = outcome_of(code), .wait = elapsed(precise_now(), start)};
    PoolObserver* const observer = this->observer();
    --inside_;
    if (finish(lk)) delete this;  // the pool is gone and this was the last thread inside
    if (observer != nullptr) observer->on_acquire(event);
    switch (code) {
        case Errc::pool_timeout:
            throw PoolTimeout(std::move(info));
        case Errc::queue_full:
            throw QueueFull(std::move(info));
        case Errc::shut_down:
            throw ShutDown(std::move(info));
        default:
            if (fatal) std::rethrow_exception(fatal);
            throw ConnectionFailed(std::move(info));
    }
}

// ---- release, upkeep, shutdown ------------------------------------------------------------------

void BlockingPool::Impl::release_slot(std::uint32_t slot, PooledResource& resource, bool broken) noexcept {
    if (async_lessee_[slot] != 0) [[unlikely]] {
        async_lessee_[slot] = 0;
        if (!broken && !resource.reset_is_free()) {
            {
                std::lock_guard lk(mutex_);
                ++deferred_;
            }
            try {
                asio::post(cleanup_threads(), [this, slot, &resource] {
                    release_now(slot, resource, false);
                    Lock lk(mutex_);
                    if (--deferred_ == 0) drained_cv_.notify_all();
                    if (finish(lk)) delete this;
                });
                return;
            } catch (...) {  // no thread to be had: reset here after all
                std::lock_guard lk(mutex_);
                --deferred_;
            }
        }
    }
    release_now(slot, resource, broken);
}

void BlockingPool::Impl::release_now(std::uint32_t slot, PooledResource& resource, bool broken) noexcept {
    const TimePoint t = now();
    if (!broken) broken = resource.reset(t + core_.options().reset_timeout) == ResetResult::MustClose;
    last_released = {.pool = this, .slot = broken ? kNoSlot : slot};
    Actions actions;
    Lock lk(mutex_);
    const Duration held = core_.release(slot, broken, t, actions);
    if (!actions.empty()) perform(lk, actions);
    PoolObserver* const observer = this->observer();
    if (finish(lk)) delete this;
    if (observer != nullptr) observer->on_release({.held = held, .broken = broken});
}

void BlockingPool::Impl::maintain() {
    Actions actions;
    Lock lk(mutex_);
    core_.maintain(now(), actions);
    perform(lk, actions);
    finish(lk);
}

void BlockingPool::Impl::set_generation(std::optional<std::uint64_t> generation, std::uint64_t* result) {
    Actions actions;
    Lock lk(mutex_);
    const std::uint64_t g = generation ? *generation : core_.generation() + 1;
    core_.set_generation(g, actions);
    if (result != nullptr) *result = g;
    perform(lk, actions);
    finish(lk);
}

void BlockingPool::Impl::set_min_idle(std::size_t min_idle) {
    Lock lk(mutex_);
    core_.set_min_idle(min_idle);
}

bool BlockingPool::Impl::shutdown(std::chrono::milliseconds wait) {
    Actions actions;
    Lock lk(mutex_);
    core_.shutdown(actions);
    perform(lk, actions);
    ++inside_;
    const bool drained = drained_cv_.wait_for(lk, wait, [this] { return core_.drained(); });
    --inside_;
    finish(lk);
    return drained;
}

void BlockingPool::Impl::abandon() noexcept {
    Actions actions;
    Lock lk(mutex_);
    // A coroutine's release still resetting on the blocking-work threads may yet call the observer:
    // once the pool object is gone, nothing may (it is bounded by reset_timeout).
    drained_cv_.wait(lk, [this] { return deferred_ == 0; });
    abandoned_ = true;
    observer_.store(nullptr, std::memory_order_relaxed);
    clock_.store(nullptr, std::memory_order_relaxed);
    core_.shutdown(actions);
    perform(lk, actions);
    if (finish(lk)) delete this;
}

// ---- the handle ---------------------------------------------------------------------------------

BlockingPool::BlockingPool(BlockingPoolSetup setup) {
    validate(setup.options);
    impl_ = new Impl(std::move(setup));
}

BlockingPool::~BlockingPool() { impl_->abandon(); }

Lease BlockingPool::acquire(std::source_location site) {
    return impl_->acquire(Impl::kNoDeadline, Impl::kDefaultTimeout, site);
}

Lease BlockingPool::acquire_for(std::chrono::milliseconds timeout, std::source_location site) {
    return impl_->acquire(Impl::kNoDeadline, timeout, site);
}

Lease BlockingPool::acquire_until(TimePoint deadline, std::source_location site) {
    return impl_->acquire(deadline, Impl::kDefaultTimeout, site);
}

asio::awaitable<Lease> BlockingPool::async_acquire_until(TimePoint deadline, std::source_location site) {
    return impl_->async_acquire(deadline, site);
}

void BlockingPool::maintain() { impl_->maintain(); }

void BlockingPool::set_generation(std::uint64_t generation) { impl_->set_generation(generation, nullptr); }

std::uint64_t BlockingPool::bump_generation() {
    std::uint64_t g = 0;
    impl_->set_generation(std::nullopt, &g);
    return g;
}

void BlockingPool::set_min_idle(std::size_t min_idle) { impl_->set_min_idle(min_idle); }
bool BlockingPool::shutdown(std::chrono::milliseconds wait) { return impl_->shutdown(wait); }
PoolStats BlockingPool::stats() const { return impl_->stats(); }
std::vector<LeakReport> BlockingPool::long_holders() const { return impl_->long_holders(); }
std::string BlockingPool::last_connect_error() const { return impl_->last_connect_error(); }
const std::string& BlockingPool::endpoint() const noexcept { return impl_->endpoint(); }

}  // namespace ucm::pool
