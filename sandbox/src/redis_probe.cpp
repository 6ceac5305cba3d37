#include "redis_probe.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <sstream>

namespace ucm::sandbox::detail {
namespace {

struct ContextFree {
    void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyFree {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

RedisValue copy_reply(const redisReply& reply) {
    RedisValue value;
    switch (reply.type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            value.type = RedisValue::Type::Text;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ERROR:
            value.type = RedisValue::Type::Error;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_INTEGER:
            value.type = RedisValue::Type::Integer;
            value.integer = reply.integer;
            break;
        case REDIS_REPLY_ARRAY:
            value.type = RedisValue::Type::Array;
            for (std::size_t i = 0; i < reply.elements; ++i) {
                value.elements.push_back(copy_reply(*reply.element[i]));
            }
            break;
        default:
            break;
    }
    return value;
}

}  // namespace

std::optional<RedisValue> redis_command(int port, const std::vector<std::string>& args,
                                        std::chrono::milliseconds timeout, std::string& error) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    std::unique_ptr<redisContext, ContextFree> context(redisConnectWithTimeout("127.0.0.1", port, tv));
    if (!context) {
        error = "out of memory";
        return std::nullopt;
    }
    if (context->err != 0) {
        error = context->errstr;
        return std::nullopt;
    }
    redisSetTimeout(context.get(), tv);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
        argv.push_back(arg.c_str());
        lengths.push_back(arg.size());
    }
    std::unique_ptr<redisReply, ReplyFree> reply(static_cast<redisReply*>(
        redisCommandArgv(context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) {
        error = context->err != 0 ? context->errstr : "no reply";
        return std::nullopt;
    }
    RedisValue value = copy_reply(*reply);
    if (value.type == RedisValue::Type::Error) {
        error = value.text;
        return std::nullopt;
    }
    return value;
}

std::string info_field(const std::string& info, const std::string& field) {
    std::istringstream in(info);
    std::string line;
    const std::string prefix = field + ":";
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    return {};
}

}  // namespace ucm::sandbox::detail
