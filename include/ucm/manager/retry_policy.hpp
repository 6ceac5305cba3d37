#pragma once

#include <ucm/core/error.hpp>
#include <ucm/export.hpp>

#include <asio/awaitable.hpp>

#include <chrono>

namespace ucm {

/// How run_transaction() reruns a transaction that failed in a way that is safe to retry:
/// serialization failure (40001), deadlock (40P01), or a retriable failure before the transaction
/// began (acquire, connect). Never after a COMMIT was sent (InDoubt is never retried).
struct RetryPolicy {
    int max_attempts = 3;                           ///< attempts in all, >= 1
    std::chrono::milliseconds initial_backoff{10};  ///< wait before the second attempt
    std::chrono::milliseconds max_backoff{500};     ///< cap of the doubling wait

    bool operator==(const RetryPolicy&) const = default;
};

/// Whether an error thrown inside the transaction (by a statement or by commit) allows a rerun:
/// serialization failures, deadlocks, and retriable connection failures (never InDoubt).
[[nodiscard]] UCM_EXPORT bool retriable_in_transaction(const Error& error) noexcept;

/// The wait before attempt `attempt` (2, 3, ...): doubling from initial_backoff, capped, with full
/// jitter so that clients that failed together do not retry together.
[[nodiscard]] UCM_EXPORT std::chrono::milliseconds retry_backoff(const RetryPolicy& policy, int attempt);

/// Waits retry_backoff(policy, attempt) on a timer of the calling coroutine's executor.
[[nodiscard]] UCM_EXPORT asio::awaitable<void> async_retry_backoff(const RetryPolicy& policy, int attempt);

}  // namespace ucm
