#pragma once
// Where the coroutine API sends the work it must not do on the caller's executor: the pool's
// connects (the connection factory blocks: routing checks, name resolution, the handshake), pings
// of long-idle connections, closes and cleanup round trips. A small internal thread pool runs them;
// the awaiting coroutine resumes on its own executor, which is kept from running out of work
// meanwhile. Checkout of a warm connection and every query never come here.

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace ucm {

/// ucm's internal blocking-work threads for connects and pings: post work that must not throw.
/// Thread safety: safe from any thread.
asio::thread_pool& blocking_threads();
/// Separate threads for cleanup (resets of released leases, closes), so that it never queues
/// behind connects that wait out a dead host.
asio::thread_pool& cleanup_threads();

/// Runs `work` (returning a default-constructible, movable T) on the blocking-work threads and
/// resumes the awaiting coroutine on its executor with the result, or rethrows what `work` threw.
/// Not cancellable: the caller sees the cancellation when it resumes.
template <class T, class Fn>
asio::awaitable<T> run_blocking(Fn work) {
    static_assert(std::is_default_constructible_v<T>);
    auto initiate = [work = std::move(work)](auto handler) mutable {
        // Tracked: the caller's io_context must not run out of work while this is away.
        auto home = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        asio::post(blocking_threads(), [work = std::move(work), handler = std::move(handler), home = std::move(home)]() mutable {
            std::exception_ptr error;
            T value{};
            try {
                value = work();
            } catch (...) {
                error = std::current_exception();
            }
            asio::post(home, [handler = std::move(handler), error, value = std::move(value)]() mutable {
                std::move(handler)(error, std::move(value));
            });
        });
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, T)>(
        std::move(initiate), asio::use_awaitable);
}

}  // namespace ucm
