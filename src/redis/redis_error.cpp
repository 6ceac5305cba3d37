#include "redis/redis_error.hpp"

#include "redis/hiredis_handle.hpp"

#include <fmt/format.h>

#include <cerrno>

namespace ucm::redis {
namespace {

std::string_view first_word(std::string_view message) noexcept {
    return message.substr(0, message.find(' '));
}

// errno values that mean the peer or the path to it went away, not a local shortage.
bool peer_gone(int e) noexcept {
    switch (e) {
        case ECONNREFUSED:
        case ECONNRESET:
        case ECONNABORTED:
        case EPIPE:
        case ENOTCONN:
        case ESHUTDOWN:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
            return true;
        default:
            return false;
    }
}

}  // namespace

RedisErrorClass classify_reply_error(std::string_view message) noexcept {
    const std::string_view code = first_word(message);
    if (code == "READONLY") {  // a write reached a replica: the master moved, or it is a replica
        return {.code = Errc::read_only_violation, .retriable = true, .role_change_hint = true};
    }
    if (code == "LOADING" || code == "MASTERDOWN") {  // loading the dataset; a replica without its master
        return {.code = Errc::redis_error, .retriable = true};
    }
    if (code == "NOAUTH" || code == "WRONGPASS") {  // the session's authentication is not what ucm set up
        return {.code = Errc::auth_failed, .retriable = false, .poisons = true};
    }
    return {.code = Errc::redis_error};  // WRONGTYPE, ERR, EXECABORT, NOSCRIPT, ...: the command's fault
}

RedisErrorClass classify_context_error(int hiredis_err, int saved_errno) noexcept {
    switch (hiredis_err) {
        case REDIS_ERR_IO:
            return {.code = Errc::connection_failed, .retriable = true, .poisons = true,
                    .role_change_hint = peer_gone(saved_errno)};
        case REDIS_ERR_EOF:  // the server closed the connection (killed, restarted, CLIENT KILL, timeout)
            return {.code = Errc::connection_failed, .retriable = true, .poisons = true, .role_change_hint = true};
        case REDIS_ERR_PROTOCOL:  // the byte stream is not RESP: no retry will make it so
            return {.code = Errc::connection_failed, .retriable = false, .poisons = true};
        case REDIS_ERR_OOM:
            return {.code = Errc::connection_failed, .retriable = false, .poisons = true};
        default:  // REDIS_ERR_OTHER: connect-time failures such as name resolution
            return {.code = Errc::connection_failed, .retriable = true, .poisons = true};
    }
}

RedisErrorClass classify_timeout() noexcept {
    return {.code = Errc::deadline_exceeded, .retriable = true, .poisons = true};
}

RedisErrorClass after_send(RedisErrorClass cls, bool may_write) noexcept {
    const bool outcome_unknown = cls.code == Errc::connection_failed || cls.code == Errc::deadline_exceeded;
    if (may_write && outcome_unknown) cls.retriable = false;
    return cls;
}

void throw_redis_error(const RedisErrorClass& cls, std::string message, const std::string& endpoint) {
    ErrorInfo info{.code = cls.code,
                   .message = fmt::format("{}: {}", endpoint, message),
                   .retriable = cls.retriable,
                   .poisons_connection = cls.poisons,
                   .endpoint = endpoint};
    switch (cls.code) {
        case Errc::auth_failed: throw AuthFailed(std::move(info));
        case Errc::connection_failed: throw ConnectionFailed(std::move(info));
        case Errc::deadline_exceeded: throw DeadlineExceeded(std::move(info));
        case Errc::redis_error: throw RedisError(std::move(info));
        default: throw Error(std::move(info));
    }
}

}  // namespace ucm::redis
