#pragma once
// The Asio driver of RedisConnection's exchange steps, beside exchange()'s poll() driver: the same
// begin_exchange()/exchange_step()/take_replies(), with readiness from a non-owning
// stream_descriptor on the coroutine's executor, each wait raced against a timer for the deadline.
// Nothing here blocks the executor's thread.

#include "redis/redis_connection.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/redis/reply.hpp>

#include <asio/awaitable.hpp>

#include <span>
#include <vector>

namespace ucm::redis {

/// RedisConnection::exchange() for coroutines: the same replies, errors and deadline handling
/// (the connection is closed on a failure or a missed deadline). `commands` must stay valid until
/// the awaitable completes. If the awaiting coroutine is cancelled mid-exchange, the connection is
/// closed (replies owed to nobody must not reach the next user) and the cancellation rethrown
/// (asio::system_error, operation_aborted).
asio::awaitable<std::vector<Reply>> async_exchange(RedisConnection& conn, std::span<const Argv> commands,
                                                   Deadline deadline, bool may_write);

}  // namespace ucm::redis
