#pragma once
// A plain blocking hiredis client for tests: observing servers from outside ucm (ROLE, KEYS), and
// playing the naive client that ucm is compared with. Not ucm code, so it may use hiredis directly.

#include <hiredis/hiredis.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ucm::test {

/// A reply flattened for tests: strings (status, bulk, error text), integers, arrays.
struct RawReply {
    int type = REDIS_REPLY_NIL;
    std::string str{};
    long long integer = 0;
    std::vector<RawReply> elements{};

    [[nodiscard]] bool is_error() const { return type == REDIS_REPLY_ERROR; }
};

inline RawReply flatten(const redisReply* r) {
    RawReply out;
    out.type = r->type;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
        out.str.assign(r->str, r->len);
    if (r->type == REDIS_REPLY_INTEGER) out.integer = r->integer;
    if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(flatten(r->element[i]));
    }
    return out;
}

/// Thread safety: one thread uses it; shutdown() may be called from another to unblock a read.
class RawRedis {
public:
    RawRedis(const std::string& host, int port, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
        const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                         static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
        ctx_.reset(redisConnectWithTimeout(host.c_str(), port, tv));
        if (!ctx_ || ctx_->err) {
            throw std::runtime_error("connect " + host + ":" + std::to_string(port) + ": " +
                                     (ctx_ ? ctx_->errstr : "out of memory"));
        }
        redisSetTimeout(ctx_.get(), tv);
        fd_ = ctx_->fd;
    }
    static RawRedis at(const std::string& host_port, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
        const auto colon = host_port.rfind(':');
        return RawRedis(host_port.substr(0, colon), std::stoi(host_port.substr(colon + 1)), timeout);
    }

    /// One command; throws std::runtime_error on an I/O error (the context is then unusable).
    RawReply command(const std::vector<std::string>& args) {
        auto reply = send(args);
        return get(reply);
    }
    /// Appends without reading (for SUBSCRIBE), then read_one() for each message.
    void append(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data());
    }
    RawReply read_one() {
        void* reply = nullptr;
        if (redisGetReply(ctx_.get(), &reply) != REDIS_OK || reply == nullptr)
            throw std::runtime_error(std::string("redis: ") + ctx_->errstr);
        return get(reply);
    }
    void shutdown() noexcept { ::shutdown(fd_, SHUT_RDWR); }

private:
    void* send(const std::vector<std::string>& args) {
        append(args);
        void* reply = nullptr;
        if (redisGetReply(ctx_.get(), &reply) != REDIS_OK || reply == nullptr)
            throw std::runtime_error(std::string("redis: ") + ctx_->errstr);
        return reply;
    }
    static RawReply get(void* reply) {
        RawReply out = flatten(static_cast<redisReply*>(reply));
        freeReplyObject(reply);
        return out;
    }
    struct Free {
        void operator()(redisContext* c) const noexcept { redisFree(c); }
    };
    std::unique_ptr<redisContext, Free> ctx_;
    int fd_ = -1;
};

/// The role a server reports ("master", "slave"), or "" when it cannot be asked.
inline std::string role_of(const std::string& host_port) {
    try {
        auto r = RawRedis::at(host_port, std::chrono::milliseconds(500)).command({"ROLE"});
        return r.elements.empty() ? std::string() : r.elements[0].str;
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace ucm::test
