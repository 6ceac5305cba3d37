#include "redis/redis_wait_asio.hpp"

#include "core/asio_race.hpp"
#include "core/borrowed_descriptor.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/multiple_exceptions.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace ucm::redis {
namespace {

using namespace asio::experimental::awaitable_operators;
using asio::posix::stream_descriptor;

// What the socket became ready for among `wait`, or IoWait::none when `deadline` fired first.
// `||` waits for the losers' cancellation to complete, so nothing outlives this frame.
asio::awaitable<IoWait> wait_ready(int fd, IoWait wait, asio::steady_timer& deadline) {
    BorrowedDescriptor borrowed(co_await asio::this_coro::executor, fd);
    stream_descriptor& sd = borrowed.get();
    if (wait == IoWait::read_write) {
        auto race = sd.async_wait(stream_descriptor::wait_read, asio::use_awaitable) ||
                    sd.async_wait(stream_descriptor::wait_write, asio::use_awaitable) ||
                    deadline.async_wait(asio::use_awaitable);
        const auto winner = co_await std::move(race);
        constexpr IoWait kWinners[] = {IoWait::read, IoWait::write, IoWait::none};
        co_return kWinners[winner.index()];
    }
    const auto direction =
        wait == IoWait::write ? stream_descriptor::wait_write : stream_descriptor::wait_read;
    auto race = sd.async_wait(direction, asio::use_awaitable) || deadline.async_wait(asio::use_awaitable);
    const auto winner = co_await std::move(race);
    co_return winner.index() == 0 ? wait : IoWait::none;
}

}  // namespace

asio::awaitable<std::vector<Reply>> async_exchange(RedisConnection& conn, std::span<const Argv> commands,
                                                   Deadline deadline, bool may_write) {
    conn.begin_exchange(commands, deadline, may_write);
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    IoWait ready = IoWait::none;
    for (IoWait wait = conn.exchange_step(ready); wait != IoWait::none; wait = conn.exchange_step(ready)) {
        try {
            ready = co_await wait_ready(conn.fd(), wait, timer);
        } catch (...) {
            // Cancelled mid-exchange: the replies still owed would be read by the next user.
            conn.close();
            rethrow_unwrapped();
        }
        if (ready == IoWait::none) conn.exchange_timed_out();
    }
    co_return conn.take_replies();
}

}  // namespace ucm::redis
