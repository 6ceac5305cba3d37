// The Asio adapter for hiredis's async context: commands and subscriptions against the shared
// sandbox's Redis master, and every way a connection can end (deadline, server closing it, reset,
// refusal, the owner freeing it with work pending, the owner freeing it from its own callback).
// The misbehaving servers are plain sockets owned by the test: a listener that never answers
// (the kernel completes the handshake for it), one whose accept queue is full (SYNs are dropped,
// so the connect hangs), one that closes or resets each connection.
//
// Oracles count: how many times each handler ran and with what, never how long anything took.
#include "core/value_parse.hpp"
#include "redis/asio_hiredis_adapter.hpp"
#include "support/sandbox_env.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ucm::redis {
namespace {

using namespace std::chrono_literals;

Endpoint redis_master() {
    return ucm::detail::parse_endpoint(test::sandbox_env().redis_master, 6379, "UCM_TEST_REDIS_MASTER",
                                       ucm::detail::Quote::Allowed);
}

std::string unique_key(const char* what) {
    static std::atomic<int> n{0};
    return std::string("ucm-test:adapter:") + what + ":" + std::to_string(::getpid()) + ":" + std::to_string(n++);
}

/// Runs `io` until `done()` or the timeout; a work guard keeps run_one_for from spinning.
class Loop {
public:
    template <class Done>
    bool run_until(Done done, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            io.run_one_for(10ms);
        }
        return true;
    }
    /// Runs whatever is ready or becomes ready within `d` (to let late callbacks show themselves).
    void drain(std::chrono::milliseconds d = 100ms) {
        run_until([] { return false; }, d);
    }

    asio::io_context io;

private:
    asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io);
};

/// What one command handler saw.
struct Outcome {
    int calls = 0;
    bool had_reply = false;
    int type = 0;
    std::string text{};
    long long integer = 0;
    std::string error{};
};

AsyncReplyHandler record(Outcome& out) {
    return [&out](const redisReply* r, const std::string& error) {
        ++out.calls;
        out.had_reply = r != nullptr;
        out.error = error;
        if (r != nullptr) {
            out.type = r->type;
            if (r->str != nullptr) out.text.assign(r->str, r->len);
            out.integer = r->integer;
        }
    };
}

struct Closed {
    int calls = 0;
    std::string reason{};
};

AsioHiredisAdapter::Handlers handlers(Closed& closed, bool* connected = nullptr) {
    return {.on_connected = [connected] { if (connected != nullptr) *connected = true; },
            .on_closed = [&closed](const std::string& reason) {
                ++closed.calls;
                closed.reason = reason;
            }};
}

/// A TCP listener on 127.0.0.1 that the test controls; it never answers a Redis command.
class Listener {
public:
    explicit Listener(int backlog) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, backlog) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            throw std::runtime_error("listener: cannot listen on 127.0.0.1");
        }
        port_ = ntohs(addr.sin_port);
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener() {
        for (int fd : accepted_) ::close(fd);
        for (int fd : fillers_) ::close(fd);
        ::close(fd_);
    }
    [[nodiscard]] Endpoint endpoint() const { return {"127.0.0.1", port_}; }

    /// Accepts one pending connection (waiting up to 5 s); -1 if none came.
    int accept_one() {
        pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
        if (::poll(&p, 1, 5000) != 1) return -1;
        const int fd = ::accept(fd_, nullptr, nullptr);
        if (fd >= 0) accepted_.push_back(fd);
        return fd;
    }
    /// Fills the accept queue (backlog 0 holds one connection), so that further SYNs are dropped.
    void fill_queue() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port_);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            throw std::runtime_error("listener: cannot fill the accept queue");
        }
        fillers_.push_back(fd);
    }
    /// Closes an accepted connection with RST (SO_LINGER 0) rather than FIN.
    static void reset(int fd) {
        const linger l{.l_onoff = 1, .l_linger = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        ::shutdown(fd, SHUT_RDWR);
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::vector<int> accepted_;
    std::vector<int> fillers_;
};

// ---- against the real server ------------------------------------------------------------------

TEST(AsioHiredisAdapter, ConnectsAndRunsCommands) {
    Loop loop;
    Closed closed;
    bool connected = false;
    AsioHiredisAdapter redis(loop.io, redis_master(), 2s, handlers(closed, &connected));
    const std::string key = unique_key("set-get");
    Outcome set, get, del;
    ASSERT_TRUE(redis.command({"SET", key, "value with spaces"}, 2s, record(set)));
    ASSERT_TRUE(redis.command({"GET", key}, 2s, record(get)));
    ASSERT_TRUE(redis.command({"DEL", key}, 2s, record(del)));
    ASSERT_TRUE(loop.run_until([&] { return del.calls > 0; }));
    EXPECT_TRUE(connected);
    EXPECT_TRUE(redis.connected());
    EXPECT_EQ(set.calls, 1);
    EXPECT_EQ(set.type, REDIS_REPLY_STATUS);
    EXPECT_EQ(set.text, "OK");
    EXPECT_EQ(get.type, REDIS_REPLY_STRING);
    EXPECT_EQ(get.text, "value with spaces");
    EXPECT_EQ(del.integer, 1);
    loop.drain();
    EXPECT_EQ(closed.calls, 0);
}

TEST(AsioHiredisAdapter, ErrorRepliesAreReplies) {
    Loop loop;
    Closed closed;
    AsioHiredisAdapter redis(loop.io, redis_master(), 2s, handlers(closed));
    Outcome bad;
    ASSERT_TRUE(redis.command({"NO-SUCH-COMMAND"}, 2s, record(bad)));
    ASSERT_TRUE(loop.run_until([&] { return bad.calls > 0; }));
    EXPECT_TRUE(bad.had_reply);
    EXPECT_EQ(bad.type, REDIS_REPLY_ERROR);
    EXPECT_TRUE(redis.open());
}

// A reply far larger than hiredis's 16 KiB read, and a pipeline larger than one write: with an
// edge-triggered reactor, data left over after one read (or a socket that stays writable) gives
// no new edge; the adapter must keep going by itself.
TEST(AsioHiredisAdapter, LargeRepliesAndLongPipelinesComplete) {
    Loop loop;
    Closed closed;
    AsioHiredisAdapter redis(loop.io, redis_master(), 2s, handlers(closed));
    const std::string key = unique_key("large");
    const std::string value(4 << 20, 'x');
    Outcome set, get, del;
    ASSERT_TRUE(redis.command({"SET", key, value}, 10s, record(set)));
    int pongs = 0;
    for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(redis.command({"ECHO", std::string(100, 'e')}, 10s, [&](const redisReply* r, const std::string&) {
            if (r != nullptr && r->type == REDIS_REPLY_STRING) ++pongs;
        }));
    }
    ASSERT_TRUE(redis.command({"GET", key}, 10s, record(get)));
    ASSERT_TRUE(redis.command({"DEL", key}, 10s, record(del)));
    ASSERT_TRUE(loop.run_until([&] { return del.calls > 0; }, 20s)) << closed.reason;
    EXPECT_EQ(set.text, "OK");
    EXPECT_EQ(pongs, 2000);
    EXPECT_EQ(get.text.size(), value.size());
    EXPECT_TRUE(get.text == value);  // not EXPECT_EQ: 4 MiB in a failure message helps nobody
    EXPECT_EQ(closed.calls, 0);
}

TEST(AsioHiredisAdapter, SubscriptionGetsConfirmationAndMessages) {
    Loop loop;
    Closed closed;
    AsioHiredisAdapter subscriber(loop.io, redis_master(), 2s, handlers(closed));
    AsioHiredisAdapter publisher(loop.io, redis_master(), 2s, handlers(closed));
    const std::string channel = unique_key("channel");
    std::vector<std::string> kinds;
    std::vector<std::string> payloads;
    int nulls = 0;
    ASSERT_TRUE(subscriber.subscribe(channel, false, 2s, [&](const redisReply* r, const std::string&) {
        if (r == nullptr) {
            ++nulls;
            return;
        }
        ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
        ASSERT_GE(r->elements, 3u);
        kinds.emplace_back(r->element[0]->str, r->element[0]->len);
        if (kinds.back() == "message") payloads.emplace_back(r->element[2]->str, r->element[2]->len);
    }));
    ASSERT_TRUE(loop.run_until([&] { return !kinds.empty(); }));
    EXPECT_EQ(kinds.front(), "subscribe");
    Outcome published;
    for (const char* text : {"one", "two"}) ASSERT_TRUE(publisher.command({"PUBLISH", channel, text}, 2s, record(published)));
    ASSERT_TRUE(loop.run_until([&] { return payloads.size() == 2; }));
    EXPECT_EQ(payloads, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(published.integer, 1);  // one subscriber: ours
    EXPECT_EQ(nulls, 0);
}

// The server drops the connection (CLIENT KILL from another connection) while a BLPOP is pending.
TEST(AsioHiredisAdapter, ServerDroppingTheConnectionFailsPendingCommands) {
    Loop loop;
    Closed victim_closed, killer_closed;
    AsioHiredisAdapter victim(loop.io, redis_master(), 2s, handlers(victim_closed));
    AsioHiredisAdapter killer(loop.io, redis_master(), 2s, handlers(killer_closed));
    Outcome id, blocked, after;
    ASSERT_TRUE(victim.command({"CLIENT", "ID"}, 2s, record(id)));
    ASSERT_TRUE(loop.run_until([&] { return id.calls > 0; }));
    ASSERT_EQ(id.type, REDIS_REPLY_INTEGER);
    ASSERT_TRUE(victim.command({"BLPOP", unique_key("never"), "30"}, 60s, record(blocked)));
    loop.drain(50ms);
    Outcome killed;
    ASSERT_TRUE(killer.command({"CLIENT", "KILL", "ID", std::to_string(id.integer)}, 2s, record(killed)));
    ASSERT_TRUE(loop.run_until([&] { return victim_closed.calls > 0 && killed.calls > 0; }));
    EXPECT_EQ(killed.integer, 1);
    EXPECT_EQ(blocked.calls, 1);
    EXPECT_FALSE(blocked.had_reply);
    EXPECT_FALSE(blocked.error.empty());
    EXPECT_EQ(victim_closed.calls, 1);
    EXPECT_NE(victim_closed.reason.find(redis_master().to_string()), std::string::npos) << victim_closed.reason;
    EXPECT_FALSE(victim.open());
    EXPECT_FALSE(victim.command({"PING"}, 1s, record(after)));
    loop.drain();
    EXPECT_EQ(after.calls, 0);
    EXPECT_EQ(victim_closed.calls, 1);
    EXPECT_EQ(killer_closed.calls, 0);
}

TEST(AsioHiredisAdapter, DestroyingWithCommandsPendingCallsNothing) {
    Loop loop;
    Closed closed;
    bool connected = false;
    auto redis = std::make_unique<AsioHiredisAdapter>(loop.io, redis_master(), 2s, handlers(closed, &connected));
    ASSERT_TRUE(loop.run_until([&] { return connected; }));
    Outcome blocked, queued;
    ASSERT_TRUE(redis->command({"BLPOP", unique_key("never"), "30"}, 60s, record(blocked)));
    ASSERT_TRUE(redis->command({"PING"}, 60s, record(queued)));
    loop.drain(50ms);
    redis.reset();
    loop.drain();
    EXPECT_EQ(blocked.calls, 0);
    EXPECT_EQ(queued.calls, 0);
    EXPECT_EQ(closed.calls, 0);
}

TEST(AsioHiredisAdapter, ClosingFromItsOwnCallbackIsSafe) {
    Loop loop;
    Closed closed;
    auto redis = std::make_unique<AsioHiredisAdapter>(loop.io, redis_master(), 2s, handlers(closed));
    Outcome first, second;
    ASSERT_TRUE(redis->command({"PING"}, 2s, [&](const redisReply* r, const std::string& e) {
        record(first)(r, e);
        redis.reset();  // destroys the adapter while hiredis is inside its callback
    }));
    ASSERT_TRUE(redis->command({"PING"}, 2s, record(second)));
    ASSERT_TRUE(loop.run_until([&] { return first.calls > 0; }));
    loop.drain();
    EXPECT_EQ(first.calls, 1);
    EXPECT_TRUE(first.had_reply);
    EXPECT_EQ(second.calls, 0);
    EXPECT_EQ(closed.calls, 0);
}

// ---- against servers that misbehave ----------------------------------------------------------

TEST(AsioHiredisAdapter, MissedDeadlineFailsEveryPendingCommandOnce) {
    Loop loop;
    Listener silent(16);  // connects, never answers
    Closed closed;
    bool connected = false;
    AsioHiredisAdapter redis(loop.io, silent.endpoint(), 2s, handlers(closed, &connected));
    Outcome slow, quick_deadline, later;
    ASSERT_TRUE(redis.command({"PING"}, 5s, record(slow)));
    ASSERT_TRUE(redis.command({"AUTH", "secret-password"}, 200ms, record(quick_deadline)));
    ASSERT_TRUE(loop.run_until([&] { return closed.calls > 0; }));
    EXPECT_TRUE(connected);
    // The first deadline to pass dropped the connection: every pending command failed with it.
    EXPECT_EQ(slow.calls, 1);
    EXPECT_EQ(quick_deadline.calls, 1);
    EXPECT_FALSE(slow.had_reply);
    EXPECT_NE(slow.error.find("no reply to AUTH"), std::string::npos) << slow.error;
    EXPECT_NE(slow.error.find(silent.endpoint().to_string()), std::string::npos) << slow.error;
    EXPECT_EQ(slow.error.find("secret-password"), std::string::npos) << "a command's arguments leaked";
    EXPECT_EQ(closed.reason, slow.error);
    EXPECT_FALSE(redis.command({"PING"}, 1s, record(later)));
    loop.drain(300ms);
    EXPECT_EQ(slow.calls, 1);
    EXPECT_EQ(closed.calls, 1);
}

TEST(AsioHiredisAdapter, ConnectDeadlineWhenNoHandshakeCompletes) {
    Loop loop;
    Listener full(0);
    full.fill_queue();  // from now on its SYNs are dropped
    Closed closed;
    bool connected = false;
    AsioHiredisAdapter redis(loop.io, full.endpoint(), 200ms, handlers(closed, &connected));
    Outcome queued;
    ASSERT_TRUE(redis.command({"PING"}, 10s, record(queued)));
    ASSERT_TRUE(loop.run_until([&] { return closed.calls > 0; }));
    EXPECT_FALSE(connected);
    EXPECT_NE(closed.reason.find("timed out"), std::string::npos) << closed.reason;
    EXPECT_EQ(queued.calls, 1);
    EXPECT_FALSE(queued.had_reply);
}

TEST(AsioHiredisAdapter, RefusedConnectionIsReported) {
    Loop loop;
    Endpoint closed_port;
    {
        Listener gone(1);
        closed_port = gone.endpoint();
    }
    Closed closed;
    AsioHiredisAdapter redis(loop.io, closed_port, 2s, handlers(closed));
    Outcome queued;
    ASSERT_TRUE(!redis.open() || redis.command({"PING"}, 2s, record(queued)));
    ASSERT_TRUE(loop.run_until([&] { return closed.calls > 0; }));
    EXPECT_NE(closed.reason.find(closed_port.to_string()), std::string::npos) << closed.reason;
    loop.drain();
    EXPECT_EQ(closed.calls, 1);
    EXPECT_LE(queued.calls, 1);
}

// hiredis 0.14 writes with write(): writing to a reset connection raises SIGPIPE, which would end
// the test binary unless the adapter's guard absorbs it.
TEST(AsioHiredisAdapter, WritingToAResetConnectionDoesNotRaiseSigpipe) {
    Loop loop;
    Listener server(16);
    Closed closed;
    bool connected = false;
    AsioHiredisAdapter redis(loop.io, server.endpoint(), 2s, handlers(closed, &connected));
    ASSERT_TRUE(loop.run_until([&] { return connected; }));
    const int peer = server.accept_one();
    ASSERT_GE(peer, 0);
    Listener::reset(peer);
    Outcome first, second;
    // The first write may still succeed (the RST is not seen yet); the next ones fail with EPIPE.
    ASSERT_TRUE(redis.command({"SET", "k", std::string(1 << 16, 'v')}, 2s, record(first)));
    loop.drain(50ms);
    if (redis.open()) {
        ASSERT_TRUE(redis.command({"SET", "k", std::string(1 << 16, 'v')}, 2s, record(second)));
    }
    ASSERT_TRUE(loop.run_until([&] { return closed.calls > 0; }));
    EXPECT_EQ(first.calls, 1);
    EXPECT_FALSE(first.had_reply);
}

}  // namespace
}  // namespace ucm::redis
