// WatchedSocket over a socketpair: data that arrived before a wait is seen (the reactor is
// edge-triggered), the socket is only borrowed, and a watch may outlive its io_context.
#include "core/watched_socket.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>

namespace ucm {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
    SocketPair() {
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds.data()), 0);
    }
    ~SocketPair() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    std::array<int, 2> fds{-1, -1};
};

SocketReady wait_on(asio::io_context& io, WatchedSocket& socket, bool read, bool write,
                    std::chrono::milliseconds limit) {
    auto work = [&]() -> asio::awaitable<SocketReady> {
        asio::steady_timer deadline(io, limit);
        co_return co_await socket.wait(read, write, deadline);
    };
    auto result = asio::co_spawn(io, work(), asio::use_future);
    io.restart();
    io.run();
    return result.get();
}

TEST(WatchedSocket, DataThatArrivedBeforeTheWaitIsSeenAndLeftForTheOwner) {
    SocketPair pair;
    asio::io_context io;
    WatchedSocket socket(io.get_executor(), pair.fds[0]);
    EXPECT_FALSE(wait_on(io, socket, true, false, 20ms).read);  // nothing yet: the deadline
    // The byte arrives while no wait is pending: its edge passes unseen by any operation.
    ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
    io.restart();
    io.poll();
    EXPECT_TRUE(wait_on(io, socket, true, false, 5s).read);
    EXPECT_TRUE(wait_on(io, socket, true, false, 5s).read);  // still there: the peek took nothing
    char byte = 0;
    EXPECT_EQ(::read(pair.fds[0], &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
}

TEST(WatchedSocket, WritableWhileTheSendBufferHasRoom) {
    SocketPair pair;
    asio::io_context io;
    WatchedSocket socket(io.get_executor(), pair.fds[0]);
    EXPECT_TRUE(wait_on(io, socket, false, true, 5s).write);
    EXPECT_TRUE(wait_on(io, socket, false, true, 5s).write);  // the edge is re-armed every time
}

TEST(WatchedSocket, TheSocketIsOnlyBorrowed) {
    SocketPair pair;
    {
        asio::io_context io;
        WatchedSocket socket(io.get_executor(), pair.fds[0]);
    }
    EXPECT_NE(::fcntl(pair.fds[0], F_GETFD), -1) << "the watch closed a socket it does not own";
}

TEST(WatchedSocket, AWatchMayOutliveItsIoContext) {
    SocketPair pair;
    std::optional<WatchedSocket> socket;
    {
        asio::io_context io;
        socket.emplace(io.get_executor(), pair.fds[0]);
        EXPECT_TRUE(socket->serves(io.get_executor(), pair.fds[0]));
    }  // the io_context's shutdown releases the socket from its reactor
    EXPECT_FALSE(socket->serves(asio::io_context().get_executor(), pair.fds[0]));
    socket.reset();  // and the watch's destructor does not touch the destroyed reactor
    EXPECT_NE(::fcntl(pair.fds[0], F_GETFD), -1);
}

}  // namespace
}  // namespace ucm
