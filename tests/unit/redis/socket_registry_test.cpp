#include "redis/socket_registry.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>

namespace ucm::redis {
namespace {

// A connected pair of local sockets: what shutdown does to one end, the other end sees.
struct Pair {
    std::array<int, 2> fds{-1, -1};
    Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()), 0); }
    ~Pair() {
        for (int fd : fds) ::close(fd);
    }
    // True when fds[0] was shut down: the peer reads EOF instead of blocking (MSG_DONTWAIT).
    bool peer_sees_eof() const {
        char c = 0;
        return ::recv(fds[1], &c, 1, MSG_DONTWAIT) == 0;
    }
};

TEST(RedisSocketRegistry, ShutsDownOnlyOlderGenerations) {
    Pair old_pair;
    Pair new_pair;
    auto old_socket = std::make_shared<SocketHandle>(old_pair.fds[0]);
    auto new_socket = std::make_shared<SocketHandle>(new_pair.fds[0]);
    SocketRegistry registry;
    registry.add(old_socket, 1);
    registry.add(new_socket, 2);
    EXPECT_EQ(registry.shutdown_older_than(2), 1U);
    EXPECT_TRUE(old_pair.peer_sees_eof());
    EXPECT_FALSE(new_pair.peer_sees_eof());
}

TEST(RedisSocketRegistry, AForgottenSocketIsNeverTouched) {
    Pair pair;
    auto socket = std::make_shared<SocketHandle>(pair.fds[0]);
    SocketRegistry registry;
    registry.add(socket, 0);
    socket->forget();  // its owner closes the number next; it may be reused at once
    EXPECT_EQ(registry.shutdown_older_than(1), 1U);
    EXPECT_FALSE(pair.peer_sees_eof());
}

TEST(RedisSocketRegistry, ClosedConnectionsDropOut) {
    Pair pair;
    SocketRegistry registry;
    {
        auto socket = std::make_shared<SocketHandle>(pair.fds[0]);
        registry.add(socket, 0);
    }
    EXPECT_EQ(registry.shutdown_older_than(1), 0U);
    EXPECT_FALSE(pair.peer_sees_eof());
}

}  // namespace
}  // namespace ucm::redis
