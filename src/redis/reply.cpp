#include <ucm/redis/reply.hpp>

#include <ucm/core/error.hpp>

#include <fmt/format.h>

namespace ucm::redis {

const char* to_string(ReplyType type) noexcept {
    switch (type) {
        case ReplyType::Status: return "status";
        case ReplyType::Error: return "error";
        case ReplyType::Integer: return "integer";
        case ReplyType::String: return "string";
        case ReplyType::Nil: return "nil";
        case ReplyType::Array: return "array";
    }
    return "unknown";
}

namespace {
// "an integer", "a string": the messages read as sentences.
std::string with_article(ReplyType type) {
    const char* name = to_string(type);
    const bool vowel = name[0] == 'a' || name[0] == 'e' || name[0] == 'i' || name[0] == 'o' || name[0] == 'u';
    return fmt::format("{} {}", vowel ? "an" : "a", name);
}
}  // namespace

Reply Reply::integer(std::int64_t value) noexcept {
    Reply r;
    r.type_ = ReplyType::Integer;
    r.integer_ = value;
    return r;
}

Reply Reply::array(std::vector<Reply> elements) {
    Reply r;
    r.type_ = ReplyType::Array;
    r.elements_ = std::move(elements);
    return r;
}

void Reply::wrong_type(ReplyType wanted) const {
    std::string message = fmt::format("Redis reply is {}, not {}", with_article(type_), with_article(wanted));
    // The server's own words are the useful part when an error reply is read as data.
    if (type_ == ReplyType::Error) message += fmt::format(" ({})", text_);
    throw RedisError({.code = Errc::redis_error, .message = std::move(message), .retriable = false});
}

const std::string& Reply::as_string() const {
    if (type_ != ReplyType::String && type_ != ReplyType::Status) wrong_type(ReplyType::String);
    return text_;
}

std::int64_t Reply::as_integer() const {
    if (type_ != ReplyType::Integer) wrong_type(ReplyType::Integer);
    return integer_;
}

std::span<const Reply> Reply::as_array() const {
    if (type_ != ReplyType::Array) wrong_type(ReplyType::Array);
    return elements_;
}

const std::string& Reply::error_message() const {
    if (type_ != ReplyType::Error) wrong_type(ReplyType::Error);
    return text_;
}

}  // namespace ucm::redis
