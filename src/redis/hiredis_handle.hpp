#pragma once
// The one place hiredis enters ucm (STYLE B1): RAII owners for the context and replies, and the
// copy of a hiredis reply tree into ucm's Reply value. Everything else in src/redis includes this
// file, never <hiredis/hiredis.h>.

#include <ucm/redis/reply.hpp>

// hiredis 0.14's sds.h has no extern "C" of its own (hiredis.h includes it outside its block):
// included first, under C linkage, so sdsfree() and friends link.
extern "C" {
#include <hiredis/sds.h>
}
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

namespace ucm::redis {

struct RedisContextDeleter {
    void operator()(redisContext* context) const noexcept { redisFree(context); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;

struct RedisReplyDeleter {
    void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

/// Copies a hiredis reply (and its elements) into a Reply that owns its bytes.
inline Reply to_reply(const redisReply& r) {
    switch (r.type) {
        case REDIS_REPLY_STATUS: return Reply::status(std::string(r.str, r.len));
        case REDIS_REPLY_ERROR: return Reply::error(std::string(r.str, r.len));
        case REDIS_REPLY_STRING: return Reply::string(std::string(r.str, r.len));  // len: binary safe
        case REDIS_REPLY_INTEGER: return Reply::integer(r.integer);
        case REDIS_REPLY_ARRAY: {
            std::vector<Reply> elements;
            elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(to_reply(*r.element[i]));
            return Reply::array(std::move(elements));
        }
        default: return Reply::nil();
    }
}

}  // namespace ucm::redis
