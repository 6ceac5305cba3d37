#include <ucm/manager/retry_policy.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <random>

namespace ucm {

bool retriable_in_transaction(const Error& error) noexcept {
    if (error.code() == Errc::in_doubt) return false;
    if (error.sqlstate() == "40001" || error.sqlstate() == "40P01") return true;
    // The connection failed before COMMIT was sent (COMMIT itself would be InDoubt), or the
    // endpoint changed role under the lease: nothing was committed, so the rerun is safe and goes
    // to whatever the topology now says is the primary.
    return error.code() == Errc::connection_failed && error.retriable();
}

std::chrono::milliseconds retry_backoff(const RetryPolicy& policy, int attempt) {
    if (attempt < 2) return std::chrono::milliseconds{0};
    const int doublings = std::min(attempt - 2, 20);
    const auto cap = std::min(policy.max_backoff.count(), policy.initial_backoff.count() << doublings);
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(cap, 0));
    return std::chrono::milliseconds{pick(rng)};
}

asio::awaitable<void> async_retry_backoff(const RetryPolicy& policy, int attempt) {
    asio::steady_timer timer(co_await asio::this_coro::executor, retry_backoff(policy, attempt));
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace ucm
