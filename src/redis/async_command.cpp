#include "redis/async_command.hpp"

#include "redis/hiredis_handle.hpp"

#include <ucm/core/error.hpp>

#include <asio/async_result.hpp>
#include <asio/associated_executor.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <memory>

namespace ucm::redis {
namespace {

std::exception_ptr failure(const std::string& endpoint, const std::string& why) {
    return std::make_exception_ptr(ConnectionFailed({.message = why + "; the command may have been applied",
                                                     .retriable = false,
                                                     .poisons_connection = true,
                                                     .endpoint = endpoint}));
}

}  // namespace

asio::awaitable<Reply> async_command(AsioHiredisAdapter& redis, std::vector<std::string> argv,
                                     std::chrono::milliseconds timeout) {
    auto initiate = [&redis, &argv, timeout](auto handler) {
        // The adapter takes a copyable std::function; the coroutine's handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        const std::string endpoint = redis.endpoint().to_string();
        const bool queued = redis.command(argv, timeout, [shared, endpoint](const redisReply* reply,
                                                                            const std::string& error) {
            if (reply != nullptr) {
                (*shared)(std::exception_ptr{}, to_reply(*reply));
            } else {
                (*shared)(failure(endpoint, error), Reply{});
            }
        });
        if (!queued) {
            // Completed later, not inside the initiation, as Asio's completion rules ask.
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, [shared, endpoint] {
                (*shared)(failure(endpoint, "redis " + endpoint + ": connection closed"), Reply{});
            });
        }
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, Reply)>(
        initiate, asio::use_awaitable);
}

}  // namespace ucm::redis
