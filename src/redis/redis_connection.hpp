#pragma once
// One Redis connection driven as a nonblocking hiredis context, so that every step meets its
// deadline: connect (redisConnectNonBlock + POLLOUT + SO_ERROR), the handshake (AUTH, SELECT,
// CLIENT SETNAME, pipelined in one round trip), and commands. An exchange of commands is one state
// machine whose steps never wait (begin_exchange, exchange_step, take_replies); exchange() drives it
// with poll(), redis_wait_asio's async_exchange() with Asio. hiredis's blocking mode is avoided on
// purpose: its only deadline, redisSetTimeout, leaves the context unusable after one timeout
// (ENVIRONMENT gotcha 11).

#include "redis/socket_registry.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/endpoint.hpp>
#include <ucm/core/secret.hpp>
#include <ucm/redis/reply.hpp>

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ucm {
class WatchedSocket;
}

namespace ucm::redis {

/// Everything needed to open one connection.
struct RedisConnectSpec {
    Endpoint endpoint{};
    std::string user{};         ///< ACL user; empty: AUTH with the password alone (user "default")
    Secret password{};          ///< empty: no AUTH
    std::uint32_t db = 0;       ///< SELECTed when not 0
    std::string client_name{};  ///< CLIENT SETNAME; characters Redis refuses become '_'; empty: none
};

/// One command's words; each is sent as a bulk string (binary safe).
using Argv = std::span<const std::string_view>;

/// Socket readiness: what an exchange waits for, and what a driver's wait found.
enum class IoWait : std::uint8_t { none, read, write, read_write };

/// Thread safety: not thread-safe; one owner at a time (the pool hands it to one lease), except
/// shutdown_socket(), which any thread may call at any time.
class RedisConnection {
public:
    /// Connects, authenticates, selects the database and names the client, all by `deadline`.
    /// Errors: AuthFailed (the password never appears in the message), ConnectionFailed
    /// (refused, unreachable, timed out, or a handshake command failed).
    static RedisConnection connect(const RedisConnectSpec& spec, Deadline deadline);

    RedisConnection(RedisConnection&&) noexcept;
    RedisConnection& operator=(RedisConnection&&) noexcept;
    ~RedisConnection();

    /// Sends every command (pipelined) and reads one reply for each, by `deadline`, waiting with
    /// poll(): the blocking driver of the steps below. Error replies are returned as Reply::error
    /// values. Errors: ConnectionFailed (I/O, EOF, protocol; also a connection already broken or
    /// closed), DeadlineExceeded; both poison the connection, which is closed at once.
    /// `may_write`: a failure after sending is then not retriable.
    std::vector<Reply> exchange(std::span<const Argv> commands, Deadline deadline, bool may_write);
    /// exchange() of one command: its reply (an error reply as a value).
    Reply exchange_one(Argv command, Deadline deadline, bool may_write);

    /// The steps of exchange(), for drivers; none of them waits. begin_exchange() checks the
    /// connection and the deadline (both failures retriable, nothing sent; a passed deadline
    /// leaves the connection usable); `commands` must stay valid until take_replies(). Each
    /// exchange_step() writes what the socket takes (commands move into hiredis's buffer a slice at
    /// a time), reads if `ready` includes read (IoWait::none before the first wait), and returns what
    /// to wait for next: read_write while output is pending, read while replies are owed, none when
    /// every reply is in. Step errors are exchange()'s; the connection is then closed.
    void begin_exchange(std::span<const Argv> commands, Deadline deadline, bool may_write);
    IoWait exchange_step(IoWait ready);
    std::vector<Reply> take_replies() noexcept;
    /// The deadline passed during the exchange: closes the connection, throws DeadlineExceeded.
    [[noreturn]] void exchange_timed_out();
    /// The socket, for a driver's readiness wait; -1 once closed.
    [[nodiscard]] int fd() const noexcept;

    /// No round trip: false when broken, closed, owed a reply, or when the socket is readable
    /// although nothing was asked (EOF or stray bytes).
    [[nodiscard]] bool is_alive() noexcept;

    [[nodiscard]] bool broken() const noexcept;
    /// Replies owed by the server for commands sent.
    [[nodiscard]] std::size_t pending() const noexcept;
    /// Inside MULTI (MULTI sent, no EXEC or DISCARD since).
    [[nodiscard]] bool in_multi() const noexcept;
    /// WATCH sent, not ended by EXEC, DISCARD or UNWATCH.
    [[nodiscard]] bool watching() const noexcept;
    /// (P|S)SUBSCRIBE or MONITOR was sent: the connection no longer answers commands normally.
    [[nodiscard]] bool subscribed() const noexcept;
    /// SELECT was sent by a user: the database may differ from the configured one.
    [[nodiscard]] bool changed_db() const noexcept;

    /// "host:port" for messages; never credentials.
    [[nodiscard]] const std::string& endpoint() const noexcept;
    /// The socket as other threads may see it (for SocketRegistry).
    [[nodiscard]] const std::shared_ptr<SocketHandle>& socket() const noexcept;
    /// shutdown(2) of the socket: a command in flight, and every later one, fails at once.
    /// Safe from any thread; does nothing once the connection is closed.
    void shutdown_socket() noexcept;
    /// Closes the socket now; later exchanges fail with ConnectionFailed. Idempotent.
    void close() noexcept;
    /// The socket registered with `ex`'s reactor for waits from coroutines: made on first use, and
    /// again when the executor changed. Dropped by close() and unwatch().
    WatchedSocket& watched(const asio::any_io_executor& ex);
    /// Drops that registration: when a lease ends, as the io_context may not outlive it.
    void unwatch() noexcept;

    struct State;

private:
    explicit RedisConnection(std::unique_ptr<State> state) noexcept;
    std::unique_ptr<State> state_;
};

/// `name` with every character CLIENT SETNAME refuses (spaces, controls, non-ASCII) replaced by '_'.
[[nodiscard]] std::string sanitize_client_name(std::string_view name);

}  // namespace ucm::redis
