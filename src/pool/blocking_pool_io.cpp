// Carrying out the pool core's actions for the blocking driver: connects and closes (with the
// lock released), wake-ups (with it held), and the messages of failed acquires.
#include "pool/blocking_pool_impl.hpp"

#include <ucm/core/error.hpp>

namespace ucm::pool {

namespace {

std::string ms_text(Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

std::string BlockingPool::Impl::failure_message(const Waiter& w, TimePoint start) const {
    const PoolStats s = core_.stats();
    const PoolOptions& o = core_.options();
    std::string m;
    switch (w.error) {
        case Errc::pool_timeout:
            m = "pool timeout: no connection to " + endpoint_ + " became free within " +
                ms_text(elapsed(w.deadline, start));
            break;
        case Errc::queue_full:
            m = "pool queue full: " + std::to_string(s.waiting) +
                " requests already wait for a connection to " + endpoint_ + " (max_waiters " +
                std::to_string(o.max_waiters) + ")";
            break;
        case Errc::shut_down:
            return "pool for " + endpoint_ + " is shut down";
        default:
            m = "cannot connect to " + endpoint_;
            break;
    }
    m += " (size " + std::to_string(o.size) + ", max_overflow " + std::to_string(o.max_overflow) +
         "; in use " + std::to_string(s.in_use) + ", idle " + std::to_string(s.idle) + ", opening " +
         std::to_string(s.opening) + ", waiters " + std::to_string(s.waiting) + ")";
    if (core_.connects_failing()) m += "; last connect error: " + std::string(core_.last_connect_error());
    return m;
}

// ---- I/O on behalf of the core ------------------------------------------------------------------

ConnectResult BlockingPool::Impl::connect(SlotId slot, TimePoint deadline) {
    discard(slot);
    const auto begun = std::chrono::steady_clock::now();
    try {
        return connected(slot, factory_(deadline), begun);
    } catch (...) {
        return connect_failed(std::current_exception(), begun);
    }
}

// A dead connection being replaced in place goes first.
void BlockingPool::Impl::discard(SlotId slot) noexcept {
    if (std::unique_ptr<PooledResource>& resource = resources_[slot]) {
        resource->close();
        resource.reset();
    }
}

ConnectResult BlockingPool::Impl::connected(SlotId slot, std::unique_ptr<PooledResource> resource,
                                            std::chrono::steady_clock::time_point begun) {
    ConnectResult result;
    result.ok = resource != nullptr;
    if (!result.ok) result.message = "the connection factory returned no connection";
    resources_[slot] = std::move(resource);
    if (PoolObserver* o = observer(); o != nullptr) {
        o->on_connect({.ok = result.ok, .duration = std::chrono::steady_clock::now() - begun});
    }
    return result;
}

ConnectResult BlockingPool::Impl::connect_failed(const std::exception_ptr& failure,
                                                 std::chrono::steady_clock::time_point begun) {
    ConnectResult result;
    try {
        std::rethrow_exception(failure);
    } catch (const Error& e) {
        result.message = e.what();
        // An open circuit breaker is retriable for the caller (later), but ends this acquire now:
        // waiting out the breaker inside the pool would turn a fast refusal into a timeout.
        result.retriable = e.retriable() && e.code() != Errc::circuit_open && !core_.options().fail_fast_connect;
        result.code = e.code();
        if (!result.retriable) result.fatal = failure;
    } catch (const std::exception& e) {
        result.message = e.what();
    } catch (...) {
        result.message = "unknown error from the connection factory";
    }
    if (PoolObserver* o = observer(); o != nullptr) {
        o->on_connect({.ok = false, .duration = std::chrono::steady_clock::now() - begun});
    }
    return result;
}

void BlockingPool::Impl::report_connect(SlotId slot, Waiter* w, const ConnectResult& result,
                                        Actions& actions) {
    if (result.ok) {
        core_.on_connected(slot, w, precise_now(), actions);
    } else {
        core_.on_connect_failed(
            slot, w, {.message = result.message, .retriable = result.retriable, .code = result.code},
            precise_now(), actions);
    }
}

// Runs the core's actions; called and returns with the lock held. Wakes happen under the lock
// (a woken waiter may return and destroy its condition variable); opens and closes happen with it
// released, and their outcomes go back to the core, which may ask for more.
void BlockingPool::Impl::perform(Lock& lk, Actions& actions) {
    if (actions.empty()) return;
    wake_new(actions, 0);
    for (std::size_t done = 0; done < actions.size();) {
        const Action a = actions[done++];
        if (a.kind == ActionKind::Wake) continue;
        const std::size_t before = actions.size();
        ++inside_;
        lk.unlock();
        if (a.kind == ActionKind::Close) {
            std::unique_ptr<PooledResource> resource = std::move(resources_[a.slot]);
            if (resource) resource->close();
            resource.reset();
            lk.lock();
            core_.on_closed(a.slot, precise_now(), actions);
        } else if (a.kind == ActionKind::Open) {
            const ConnectResult result = connect(a.slot, now() + core_.options().connect_timeout);
            lk.lock();
            report_connect(a.slot, nullptr, result, actions);
        } else {
            if (PoolObserver* o = observer(); o != nullptr) o->on_leak_suspected(a.leak);
            lk.lock();
        }
        --inside_;
        wake_new(actions, before);
    }
    actions.clear();
}

void BlockingPool::Impl::wake_new(const Actions& actions, std::size_t from) noexcept {
    for (std::size_t i = from; i < actions.size(); ++i) {
        if (actions[i].kind != ActionKind::Wake) continue;
        Waiter& w = *actions[i].waiter;
        w.wake(w);
    }
}

bool BlockingPool::Impl::finish_shut_down(Lock& lk) noexcept {
    const bool drained = core_.drained();
    if (drained && core_.is_shut_down()) drained_cv_.notify_all();
    const bool last = drained && abandoned_ && inside_ == 0 && deferred_ == 0;
    lk.unlock();
    return last;
}

}  // namespace ucm::pool
