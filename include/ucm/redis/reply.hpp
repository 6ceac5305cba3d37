#pragma once

#include <ucm/export.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ucm::redis {

/// The kinds of RESP2 reply (hiredis 0.14 speaks RESP2 only).
enum class ReplyType : std::uint8_t {
    Status,   ///< a simple string, e.g. `+OK`
    Error,    ///< an error reply, e.g. `-READONLY You can't write against a read only replica.`
    Integer,  ///< `:42`
    String,   ///< a bulk string; binary safe (may hold NULs and CR LF)
    Nil,      ///< a nil bulk string or nil array (GET of a missing key, BLPOP timeout)
    Array,    ///< a multi-bulk reply; elements may be any type, arrays included
};

/// "status", "error", "integer", "string", "nil" or "array".
[[nodiscard]] UCM_EXPORT const char* to_string(ReplyType type) noexcept;

/// One Redis reply, as a value: it owns its data and outlives the connection it came from.
///
/// Errors: a typed accessor used on a reply of another type throws `ucm::RedisError`
/// (Errc::redis_error, not retriable), e.g. "Redis reply is an integer, not a string".
/// Thread safety: immutable once built; safe to share.
///
/// @code
///   ucm::redis::Reply r = conn.command("LRANGE", "queue", 0, -1);
///   for (const auto& item : r.as_array()) use(item.as_string());
///   if (conn.command("GET", "missing").is_nil()) { /* no such key */ }
/// @endcode
class UCM_EXPORT Reply {
public:
    /// A nil reply.
    Reply() noexcept = default;

    [[nodiscard]] static Reply status(std::string text) { return Reply(ReplyType::Status, std::move(text)); }
    [[nodiscard]] static Reply error(std::string message) { return Reply(ReplyType::Error, std::move(message)); }
    [[nodiscard]] static Reply string(std::string bytes) { return Reply(ReplyType::String, std::move(bytes)); }
    [[nodiscard]] static Reply integer(std::int64_t value) noexcept;
    [[nodiscard]] static Reply nil() noexcept { return Reply(); }
    [[nodiscard]] static Reply array(std::vector<Reply> elements);

    [[nodiscard]] ReplyType type() const noexcept { return type_; }
    [[nodiscard]] bool is_nil() const noexcept { return type_ == ReplyType::Nil; }
    [[nodiscard]] bool is_error() const noexcept { return type_ == ReplyType::Error; }

    /// The bytes of a String (bulk) or the text of a Status reply.
    [[nodiscard]] const std::string& as_string() const;
    /// The value of an Integer reply.
    [[nodiscard]] std::int64_t as_integer() const;
    /// The elements of an Array reply.
    [[nodiscard]] std::span<const Reply> as_array() const;
    /// The full text of an Error reply ("READONLY You can't write ..."); its first word is the
    /// error code the server chose.
    [[nodiscard]] const std::string& error_message() const;

    bool operator==(const Reply&) const = default;

private:
    Reply(ReplyType type, std::string text) : type_(type), text_(std::move(text)) {}
    [[noreturn]] void wrong_type(ReplyType wanted) const;

    ReplyType type_ = ReplyType::Nil;
    std::int64_t integer_ = 0;
    std::string text_{};            // Status, Error, String
    std::vector<Reply> elements_{};  // Array
};

}  // namespace ucm::redis
