// The coroutine half of redis::Connection: the sync half's checks and error handling
// (connection.cpp), with the waits done on the caller's executor (redis_wait_asio).
#include "redis/argv_views.hpp"
#include "redis/redis_pooled_connection.hpp"
#include "redis/redis_wait_asio.hpp"

#include <ucm/redis/connection.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace ucm::redis {
namespace {

// How often a held write looks at the fence again.
constexpr std::chrono::milliseconds kFencePollInterval{1};

}  // namespace

asio::awaitable<void> Connection::async_wait_unfenced(Deadline deadline) {
    if (!context_->write_fenced()) co_return;
    asio::steady_timer recheck(co_await asio::this_coro::executor);
    while (context_->write_fenced()) {
        const auto now = SteadyClock::now();
        if (now >= deadline) {
            throw NoPrimary(
                {.message = fmt::format("{}: a Sentinel failover of the master is in progress and did not "
                                        "end before the deadline; the write was held back, nothing was "
                                        "sent",
                                        endpoint()),
                 .retriable = true,
                 .endpoint = endpoint()});
        }
        recheck.expires_at(std::min(now + kFencePollInterval, deadline));
        co_await recheck.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<std::vector<Reply>> Connection::async_run(Argvs commands, Deadline deadline) {
    try {
        // As run(): the fence first, then the generation.
        if (may_write() && lease_ && context_->write_fenced) co_await async_wait_unfenced(deadline);
        check_usable();
        co_return co_await async_exchange(lease_.as<RedisPooledConnection>().connection(), commands, deadline,
                                          may_write());
    } catch (const Error& e) {
        report_and_throw(e);
    } catch (...) {
        // Cancelled: if a command was in flight, the driver closed the connection.
        if (lease_ && lease_.as<RedisPooledConnection>().connection().broken()) lease_.mark_broken();
        throw;
    }
}

asio::awaitable<Reply> Connection::async_command_argv(std::vector<std::string> argv, Deadline deadline) {
    const std::vector<std::string_view> words(argv.begin(), argv.end());
    const std::array<std::span<const std::string_view>, 1> one{words};
    co_return single_reply(co_await async_run(one, deadline));
}

asio::awaitable<std::vector<Reply>> Connection::async_pipeline(std::vector<Command> commands,
                                                               Deadline deadline) {
    const ArgvViews views(commands);
    co_return co_await async_run(views.argvs(), deadline);
}

}  // namespace ucm::redis
