// The coroutine driver of the pool core: coroutine requests queue in the same FIFO as threads,
// under the same mutex. A queued coroutine sleeps on its own timer (DESIGN: "timers per waiter"),
// armed under the pool lock so that a wake-up cannot slip in between; a wake-up cancels the timer.
// Checkout of a warm connection happens on the caller's executor; connects, pings of long-idle
// connections and closes go to ucm's blocking-work threads (core/blocking_offload), since the
// connection factories block.
#include "core/blocking_offload.hpp"
#include "pool/blocking_pool_impl.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>

namespace ucm::pool {

/// A coroutine's request: lives in the coroutine frame while it is queued.
/// Thread safety: `woken`, `sleeping` and the timer are touched only under the pool lock.
struct AsyncWaiter : Waiter {
    explicit AsyncWaiter(const asio::any_io_executor& ex) : timer(ex) { wake = &AsyncWaiter::on_wake; }

    static void on_wake(Waiter& w) noexcept {
        auto& self = static_cast<AsyncWaiter&>(w);
        self.woken = true;
        if (!self.sleeping) return;
        try {
            self.timer.cancel();
        } catch (...) {  // cannot happen with the reactor's timers; the request then wakes at its deadline
        }
    }

    asio::steady_timer timer;
    bool woken = false;     ///< a Wake came since the request last looked
    bool sleeping = false;  ///< the timer is armed
};

namespace {

// Runs `fn` when the scope ends, unless disarmed: also when a suspended coroutine is destroyed.
template <class Fn>
struct OnExit {
    explicit OnExit(Fn f) : fn(std::move(f)) {}
    Fn fn;
    bool armed = true;
    OnExit(const OnExit&) = delete;
    OnExit& operator=(const OnExit&) = delete;
    ~OnExit() {
        if (armed) fn();
    }
};

bool cancelled(const asio::cancellation_state& state) {
    return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

asio::awaitable<Lease> BlockingPool::Impl::async_acquire(TimePoint deadline, std::source_location site) {
    AsyncWaiter w(co_await asio::this_coro::executor);
    w.site = site;
    Actions actions;
    Lock lk(mutex_);
    const TimePoint start = now();
    w.deadline = deadline != kNoDeadline ? deadline : start + core_.options().acquire_timeout;
    if (granted_at_once(lk, w, start, actions)) [[likely]] {
        async_lessee_[w.slot] = 1;
        co_return Lease(*this, *resources_[w.slot], w.slot);
    }
    ++inside_;
    // Whatever ends this coroutine without a lease for the caller (cancellation, an exception, the
    // frame destroyed while suspended) gives back what the request holds or withdraws it.
    auto give_back = [&]() noexcept { withdraw(lk, w); };
    OnExit<decltype(give_back)> on_exit(give_back);
    const TimePoint started = precise_now();
    std::exception_ptr fatal;
    for (;;) {
        perform_async(lk, actions);
        if (w.state == WaitState::Queued) {
            if (!w.woken) {
                lk.unlock();
                co_await sleep(w);
                lk.lock();
                w.sleeping = false;
            }
            w.woken = false;
            if (cancelled(co_await asio::this_coro::cancellation_state)) {
                lk.unlock();
                throw std::system_error(asio::error::operation_aborted, "ucm pool acquire");
            }
            core_.poll(w, precise_now(), actions);
            continue;
        }
        if (w.state == WaitState::Failed) {
            on_exit.armed = false;
            fail(lk, w, started, fatal);
        }
        const SlotId slot = w.slot;
        if (w.kind == GrantKind::Ready || w.kind == GrantKind::Ping) {
            lk.unlock();
            bool alive = false;
            if (w.kind == GrantKind::Ping) {
                alive = co_await run_blocking<bool>([this, &w] { return check(w); });
            } else {
                alive = check(w);
            }
            lk.lock();
            if (!alive) {
                core_.on_check_failed(slot, w, precise_now(), actions);
                continue;
            }
        } else if (w.kind == GrantKind::Connect) {
            const TimePoint until = connect_deadline(w);
            lk.unlock();
            ConnectResult result;
            if (async_factory_) {
                result = co_await async_connect(slot, until);
            } else {
                result = co_await run_blocking<ConnectResult>([this, slot, until] { return connect(slot, until); });
            }
            lk.lock();
            if (result.fatal) fatal = result.fatal;
            report_connect(slot, &w, result, actions);
            continue;
        }
        break;  // granted, checked or fresh
    }
    if (cancelled(co_await asio::this_coro::cancellation_state)) {
        lk.unlock();  // the exit hook gives the connection back
        throw std::system_error(asio::error::operation_aborted, "ucm pool acquire");
    }
    on_exit.armed = false;
    async_lessee_[w.slot] = 1;
    co_return hand_out(lk, w, started);
}

// connect() through the async factory, on the caller's executor. A cancellation propagates: the
// caller's exit hook then frees the slot, and the half-open connection was closed on the way out.
asio::awaitable<ConnectResult> BlockingPool::Impl::async_connect(SlotId slot, TimePoint deadline) {
    discard(slot);
    const auto begun = std::chrono::steady_clock::now();
    std::exception_ptr failure;
    try {
        std::unique_ptr<PooledResource> resource = co_await async_factory_(deadline);
        co_return connected(slot, std::move(resource), begun);
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;
        failure = std::current_exception();
    } catch (...) {
        failure = std::current_exception();
    }
    co_return connect_failed(failure, begun);
}

// Arms the request's timer under the pool lock, unless a wake-up came already: a Wake either sees
// the timer armed and cancels it, or comes first and the timer is not armed at all.
asio::awaitable<void> BlockingPool::Impl::sleep(AsyncWaiter& w) {
    constexpr auto token = asio::experimental::as_tuple(asio::use_awaitable);
    auto initiate = [this, &w](auto handler) {
        Lock lk(mutex_);
        if (w.woken || w.state != WaitState::Queued) {
            lk.unlock();
            asio::post(w.timer.get_executor(),
                       [handler = std::move(handler)]() mutable { std::move(handler)(std::error_code{}); });
            return;
        }
        const TimePoint wake_at = core_.next_wake(w, precise_now());
        if (const Clock* c = clock(); c == nullptr) {
            w.timer.expires_at(wake_at);
        } else {  // an injected clock has its own epoch: sleep for the time it says is left
            w.timer.expires_after(wake_at - c->now());
        }
        w.sleeping = true;
        w.timer.async_wait(std::move(handler));
    };
    (void)co_await asio::async_initiate<decltype(token), void(std::error_code)>(std::move(initiate), token);
}

// Wakes now (under the lock); connects, closes and leak reports go to the blocking-work threads.
void BlockingPool::Impl::perform_async(Lock& lk, Actions& actions) {
    if (actions.empty()) return;
    wake_new(actions, 0);
    Actions rest;
    for (std::size_t i = 0; i < actions.size(); ++i) {
        if (actions[i].kind != ActionKind::Wake) rest.push(actions[i]);
    }
    actions.clear();
    if (rest.empty()) return;
    // Counted before the post (the job may run at once and take the lock after this returns), and
    // uncounted again if the post fails.
    ++inside_;
    try {
        asio::post(cleanup_threads(), [this, rest = std::move(rest)]() mutable {
            Lock lock(mutex_);
            perform(lock, rest);
            --inside_;
            if (finish(lock)) delete this;
        });
    } catch (...) {  // no thread to be had: do it here, rather than leave slots closing forever
        --inside_;
        perform(lk, rest);
    }
}

void BlockingPool::Impl::withdraw(Lock& lk, AsyncWaiter& w) noexcept {
    if (!lk.owns_lock()) lk.lock();
    Actions actions;
    std::unique_ptr<PooledResource> dead;
    if (w.state == WaitState::Queued) {
        core_.cancel(w);
    } else if (w.state == WaitState::Granted && w.kind == GrantKind::Connect) {
        dead = std::move(resources_[w.slot]);  // a dead connection to be replaced in place, if any
        core_.abandon_connect(w.slot, now(), actions);
    } else if (w.state == WaitState::Granted) {
        (void)core_.release(w.slot, false, now(), actions);  // never handed out: back as it was
    }
    w.state = WaitState::New;
    perform_async(lk, actions);
    --inside_;
    const bool last = finish(lk);
    if (dead) dead->close();
    if (last) delete this;
}

}  // namespace ucm::pool
