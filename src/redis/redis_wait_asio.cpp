#include "redis/redis_wait_asio.hpp"

#include "core/asio_race.hpp"
#include "core/watched_socket.hpp"

#include <asio/multiple_exceptions.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace ucm::redis {
namespace {

// What the socket became ready for among `wait`, or IoWait::none when `deadline` fired first; on
// the connection's socket as registered once per lease (RedisConnection::watched()).
asio::awaitable<IoWait> wait_ready(RedisConnection& conn, IoWait wait, asio::steady_timer& deadline) {
    WatchedSocket& socket = conn.watched(co_await asio::this_coro::executor);
    const bool read = wait == IoWait::read || wait == IoWait::read_write;
    const bool write = wait == IoWait::write || wait == IoWait::read_write;
    const SocketReady ready = co_await socket.wait(read, write, deadline);
    if (ready.read) co_return IoWait::read;
    co_return ready.write ? IoWait::write : IoWait::none;
}

}  // namespace

asio::awaitable<std::vector<Reply>> async_exchange(RedisConnection& conn, std::span<const Argv> commands,
                                                   Deadline deadline, bool may_write) {
    conn.begin_exchange(commands, deadline, may_write);
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    IoWait ready = IoWait::none;
    for (IoWait wait = conn.exchange_step(ready); wait != IoWait::none; wait = conn.exchange_step(ready)) {
        try {
            ready = co_await wait_ready(conn, wait, timer);
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
