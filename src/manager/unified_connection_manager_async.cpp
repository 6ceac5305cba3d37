// The coroutine side of UnifiedConnectionManager: the same routing walk as the blocking acquire
// (Impl::next_step), with the pool's coroutine acquire and a timer instead of a blocking wait.
#include "manager/manager_impl.hpp"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace ucm {
namespace {

// How often a coroutine looks whether the topology moved while it waits for a primary. A failover
// takes tens of milliseconds at best, so this adds at most a few percent to it.
constexpr std::chrono::milliseconds kTopologyPoll{2};

}  // namespace

asio::awaitable<void> UnifiedConnectionManager::Impl::async_wait_for_change(std::uint64_t version,
                                                                            Deadline deadline) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        const auto [now_version, stopping] = topology->version();
        if (now_version != version || stopping || SteadyClock::now() >= deadline) co_return;
        timer.expires_after(std::min<SteadyClock::duration>(kTopologyPoll, remaining(deadline)));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<pg::Connection> UnifiedConnectionManager::Impl::async_acquire(ConnectionMode mode, Deadline deadline,
                                                                              std::source_location site) {
    check_usable(mode);
    Route r{.mode = mode, .deadline = deadline};
    for (;;) {
        const RouteStep step = next_step(r);
        if (step.wait) {
            co_await async_wait_for_change(step.version, r.deadline);
            continue;
        }
        const auto generation = pools[step.host]->link().generation.load(std::memory_order_acquire);
        ModePool& p = pools[step.host]->for_mode(mode);
        try {
            pool::Lease lease = co_await p.pool->async_acquire_until(r.deadline, site);
            co_return pg::Connection(std::move(lease), p.context, generation);
        } catch (const Error& e) {
            note_failure(r, step.host, e);
        }
    }
}

asio::awaitable<pg::Connection> UnifiedConnectionManager::do_async_connection(ConnectionMode mode,
                                                                              std::optional<Deadline> deadline,
                                                                              std::source_location site) {
    // The frame keeps the Impl (and so the pools) alive while it waits, even if the manager goes.
    const std::shared_ptr<Impl> impl = impl_;
    co_return co_await impl->async_acquire(
        mode, deadline.value_or(deadline_after(impl->config.pool.acquire_timeout)), site);
}

asio::awaitable<redis::Connection> UnifiedConnectionManager::async_redis(ConnectionMode mode,
                                                                         std::source_location site) {
    const std::shared_ptr<Impl> impl = impl_;
    if (!impl->redis) impl->no_redis();
    impl->check_usable(mode);
    co_return co_await impl->redis->async_acquire(mode, deadline_after(impl->config.pool.acquire_timeout), site);
}

asio::any_io_executor UnifiedConnectionManager::executor() { return impl_->internal_io()->executor(); }

}  // namespace ucm
