#include "redis/redis_pooled_connection.hpp"

#include <array>
#include <string_view>

namespace ucm::redis {
namespace {

// One command, no writes: a failure after sending can be retried.
bool run_expecting(RedisConnection& conn, std::string_view word, std::string_view expected, Deadline deadline) {
    const std::array<std::string_view, 1> argv{word};
    const Reply reply = conn.exchange_one(argv, deadline, false);
    return reply.type() == ReplyType::Status && reply.as_string() == expected;
}

}  // namespace

bool RedisPooledConnection::is_alive() noexcept { return conn_.is_alive(); }

bool RedisPooledConnection::ping(Deadline deadline) noexcept {
    try {
        return run_expecting(conn_, "PING", "PONG", deadline);
    } catch (...) {
        return false;
    }
}

pool::ResetResult RedisPooledConnection::reset(Deadline deadline) noexcept {
    conn_.unwatch();  // the lease's io_context may be gone before the connection is leased again
    // Each of these leaves a session the next lease could not use as if fresh; none is worth a
    // repair that could itself go wrong (DISCARD inside a failed MULTI, unsubscribing, re-SELECT).
    if (conn_.broken() || conn_.pending() != 0 || conn_.in_multi() || conn_.subscribed() || conn_.changed_db()) {
        return pool::ResetResult::MustClose;
    }
    if (conn_.watching()) {
        try {
            if (!run_expecting(conn_, "UNWATCH", "OK", deadline)) return pool::ResetResult::MustClose;
        } catch (...) {
            return pool::ResetResult::MustClose;
        }
    }
    return pool::ResetResult::Clean;
}

void RedisPooledConnection::close() noexcept { conn_.close(); }

}  // namespace ucm::redis
