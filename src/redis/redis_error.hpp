#pragma once
// The one table that turns a Redis failure into ucm's error model (STYLE B5.3): hiredis context
// errors (REDIS_ERR_IO with errno, EOF, protocol), missed deadlines, and server error replies by
// their first word.

#include <ucm/core/errc.hpp>
#include <ucm/core/error.hpp>

#include <string>
#include <string_view>

namespace ucm::redis {

/// How ucm treats one kind of Redis failure.
struct RedisErrorClass {
    Errc code = Errc::redis_error;
    bool retriable = false;         ///< may the caller retry (on this or a new connection)?
    bool poisons = false;           ///< the connection must be closed, never pooled
    bool role_change_hint = false;  ///< suggests the master moved (READONLY, the server went away)
};

/// A server error reply, by its first word: READONLY, LOADING, MASTERDOWN, NOAUTH, WRONGPASS, or
/// anything else.
[[nodiscard]] RedisErrorClass classify_reply_error(std::string_view message) noexcept;

/// A failed hiredis context: `hiredis_err` is its `err` field (REDIS_ERR_IO, REDIS_ERR_EOF,
/// REDIS_ERR_PROTOCOL, REDIS_ERR_OOM, REDIS_ERR_OTHER) and `saved_errno` the errno of an I/O error.
[[nodiscard]] RedisErrorClass classify_context_error(int hiredis_err, int saved_errno) noexcept;

/// A deadline that passed while a command was being written or its reply read.
[[nodiscard]] RedisErrorClass classify_timeout() noexcept;

/// `cls` for a failure after the command was (perhaps partly) sent: when the connection broke or
/// the deadline passed, the command may have been applied, so on a lease that may write it is no
/// longer retriable (Redis has no InDoubt here; ucm just does not advise a retry).
[[nodiscard]] RedisErrorClass after_send(RedisErrorClass cls, bool may_write) noexcept;

/// Builds the typed exception: AuthFailed, ConnectionFailed, DeadlineExceeded, RedisError, or
/// Error (read_only_violation). The message is prefixed with the endpoint; it never holds a
/// password (callers pass server and hiredis texts, which do not echo command arguments).
[[noreturn]] void throw_redis_error(const RedisErrorClass& cls, std::string message, const std::string& endpoint);

}  // namespace ucm::redis
