#pragma once

#include <ucm/core/deadline.hpp>
#include <ucm/core/error.hpp>
#include <ucm/core/modes.hpp>
#include <ucm/export.hpp>
#include <ucm/pool/lease.hpp>
#include <ucm/redis/reply.hpp>

#include <asio/awaitable.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace ucm::redis {

/// What the manager tells a leased Redis connection about itself; shared by all leases of one pool.
struct LeaseContext {
    ConnectionMode mode = ConnectionMode::ReadWrite;
    std::string endpoint{};  ///< "host:port" of the target when the pool was built; for messages
    std::chrono::milliseconds command_timeout{30'000};  ///< default deadline of each command
    /// The master's generation, bumped when the master moves; a lease taken in an older one
    /// refuses to send (retriably) and is closed on release. Null: no check.
    std::shared_ptr<const std::atomic<std::uint64_t>> generation{};
    /// Before each send on a lease that may write (ReadWrite, Admin): waits while a Sentinel
    /// failover of the master is in progress, so nothing is acknowledged by a master being
    /// demoted; throws a retriable error (nothing sent) when the failover outlasts the deadline.
    /// Null: no fence (standalone servers).
    std::function<void(Deadline deadline)> await_writable{};
    /// The same fence for coroutines, which must not block: true while writes must wait. The
    /// coroutine API looks every millisecond until it turns false or the deadline passes (then
    /// NoPrimary, retriable, nothing sent). Must not block or throw. Null: no fence.
    std::function<bool()> write_fenced{};
    /// Told of every error on a lease of this pool (READONLY, broken sockets), so the Sentinel
    /// logic can react. Must not throw.
    std::function<void(const Error&)> on_error{};
};

namespace detail {
/// Room for one integer argument's decimal digits.
struct IntegerText {
    std::array<char, 24> digits{};
};

template <class T>
inline constexpr bool is_char_type_v =
    std::is_same_v<T, char> || std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char> ||
    std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> || std::is_same_v<T, char16_t> ||
    std::is_same_v<T, char32_t>;

/// One command argument as bytes: strings as they are (binary safe), integers in decimal.
template <class T>
std::string_view argument_bytes(const T& value, IntegerText& room) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        return std::string_view(value);
    } else {
        static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_char_type_v<T>,
                      "a Redis command argument is a string (std::string, std::string_view, const char*) or an "
                      "integer; format anything else yourself");
        const auto [end, ec] = std::to_chars(room.digits.data(), room.digits.data() + room.digits.size(), value);
        (void)ec;  // 24 bytes hold any 64-bit integer
        return std::string_view(room.digits.data(), static_cast<std::size_t>(end - room.digits.data()));
    }
}
}  // namespace detail

/// One command's words, owned, for pipeline(); build it with args().
using Command = std::vector<std::string>;

/// Builds a Command from strings and integers, e.g. `args("SET", key, 42)`.
template <class... Args>
[[nodiscard]] Command args(const Args&... values) {
    std::array<detail::IntegerText, sizeof...(Args)> room{};
    std::size_t i = 0;
    (void)i;  // both unused when there are no arguments
    (void)room;
    return Command{std::string(detail::argument_bytes(values, room[i++]))...};
}

/// How many replicas must confirm a write before durable() returns (Redis `WAIT`).
struct Durability {
    int replicas = 1;                          ///< >= 1
    std::chrono::milliseconds timeout{1'000};  ///< how long `WAIT` may block; > 0
};

/// One pooled Redis connection on loan (RAII): returned to its pool when destroyed.
///
/// Arguments are sent as an argv array (RESP bulk strings), never formatted into a command line,
/// so user data may contain anything (spaces, NULs, CR LF). Every command has a deadline (the
/// manager's command timeout unless given). An error that poisons the connection (a broken or
/// shut-down socket, a protocol error, a missed deadline) marks the lease so the connection is
/// closed instead of pooled.
///
/// Errors (command(), command_argv() and their async_ forms): RedisError for an error reply
/// (Errc::redis_error; retriable for LOADING and MASTERDOWN), Error with
/// Errc::read_only_violation for READONLY (retriable: the master moved), AuthFailed for
/// NOAUTH/WRONGPASS, ConnectionFailed for I/O failures and for a lease whose master changed since
/// it was taken (then retriable, nothing was sent), DeadlineExceeded, NoPrimary (retriable,
/// nothing sent) when a Sentinel failover's write fence outlasts the deadline of a ReadWrite or
/// Admin lease. A failure after the command was sent on a ReadWrite or Admin lease is not
/// retriable: the command may have been applied. pipeline() returns error replies as Reply::error
/// values and throws only for the connection-level failures.
/// Thread safety: not thread-safe; move it, do not share it.
/// Lifetime: may outlive the manager; its release then just closes the connection.
///
/// @code
///   auto redis = manager.redis(ucm::ConnectionMode::ReadWrite);
///   redis.command("SET", "user:42:name", name);
///   std::int64_t visits = redis.command("INCR", "user:42:visits").as_integer();
///   auto replies = redis.pipeline({ucm::redis::args("GET", "a"), ucm::redis::args("GET", "b")});
/// @endcode
class UCM_EXPORT Connection {
public:
    Connection() noexcept = default;
    /// For the manager: wraps a lease of a Redis pool whose connection was made in `generation`.
    Connection(pool::Lease lease, std::shared_ptr<const LeaseContext> context, std::uint64_t generation = 0) noexcept;
    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;
    ~Connection() = default;

    /// Runs one command within the command timeout, e.g. `command("HSET", key, "field", 7)`.
    /// Arguments: strings (binary safe) and integers.
    template <class... Args>
    Reply command(std::string_view name, const Args&... arguments) {
        return with_words(
            [&](std::span<const std::string_view> argv) {
                return command_argv(argv, deadline_after(command_timeout()));
            },
            name, arguments...);
    }
    /// Runs one write, then `WAIT replicas timeout` in the same round trip: returns the write's
    /// reply once `durability.replicas` replicas have confirmed it. A Sentinel failover may then
    /// promote any of them without losing the write.
    /// Errors: those of command(); InDoubt (not retriable) when fewer replicas confirmed in time:
    /// the master applied the write, but whether it survives a failover is unknown.
    template <class... Args>
    Reply durable(Durability durability, std::string_view name, const Args&... arguments) {
        return with_words(
            [&](std::span<const std::string_view> argv) {
                return durable_argv(argv, durability, deadline_after(command_timeout() + durability.timeout));
            },
            name, arguments...);
    }
    /// The same for a command given as its words, by `deadline`.
    Reply durable_argv(std::span<const std::string_view> argv, Durability durability, Deadline deadline);

    /// Runs one command given as its words by `deadline`.
    Reply command_argv(std::span<const std::string_view> argv, Deadline deadline);

    /// Sends every command at once and reads the replies in order, within the command timeout.
    /// Error replies come back as Reply::error values, in their place.
    std::vector<Reply> pipeline(std::span<const Command> commands);
    std::vector<Reply> pipeline(std::initializer_list<Command> commands) {
        return pipeline(std::span<const Command>(commands.begin(), commands.size()));
    }
    /// The same by `deadline`.
    std::vector<Reply> pipeline(std::span<const Command> commands, Deadline deadline);

    /// Coroutine forms of command(), command_argv() and pipeline(): the same arguments, errors,
    /// deadlines and write fence, and the executor's thread never blocks. The words are copied when
    /// called, so arguments need not outlive the call. Cancelling the awaiting coroutine while a
    /// command is in flight closes the connection (this lease then goes back broken) and rethrows
    /// asio::system_error (operation_aborted). Lifetime: this Connection must stay in place (not be
    /// moved or destroyed) until the awaitable completes.
    /// @code
    ///   std::int64_t n = (co_await redis.async_command("INCR", "visits")).as_integer();
    /// @endcode
    template <class... Args>
    asio::awaitable<Reply> async_command(std::string_view name, const Args&... arguments) {
        return async_command_argv(args(name, arguments...), deadline_after(command_timeout()));
    }
    asio::awaitable<Reply> async_command_argv(std::vector<std::string> argv, Deadline deadline);
    asio::awaitable<std::vector<Reply>> async_pipeline(std::vector<Command> commands) {
        return async_pipeline(std::move(commands), deadline_after(command_timeout()));
    }
    asio::awaitable<std::vector<Reply>> async_pipeline(std::vector<Command> commands, Deadline deadline);

    [[nodiscard]] ConnectionMode mode() const noexcept { return context_->mode; }
    /// "host:port" of the server this connection talks to.
    [[nodiscard]] const std::string& endpoint() const noexcept;
    [[nodiscard]] std::chrono::milliseconds command_timeout() const noexcept {
        return context_ ? context_->command_timeout : std::chrono::milliseconds{0};
    }
    /// True while the lease holds a connection.
    explicit operator bool() const noexcept { return static_cast<bool>(lease_); }

    /// Returns the connection to its pool now.
    void release() noexcept { lease_.release(); }
    /// Closes the connection instead of pooling it.
    void release_broken() noexcept { lease_.release_broken(); }

private:
    // Calls `f` with the command's words: the arguments as bytes, integers formatted on the stack.
    template <class F, class... Args>
    static Reply with_words(F&& f, std::string_view name, const Args&... arguments) {
        std::array<detail::IntegerText, sizeof...(Args)> room{};
        std::size_t i = 0;
        (void)i;  // both unused when there are no arguments
        (void)room;
        const std::array<std::string_view, sizeof...(Args) + 1> argv{name,
                                                                    detail::argument_bytes(arguments, room[i++])...};
        return std::forward<F>(f)(std::span<const std::string_view>(argv));
    }

    using Argvs = std::span<const std::span<const std::string_view>>;
    // The sync and coroutine paths share everything but the waiting: may_write(), the fence's
    // applicability, check_usable() (the generation), single_reply() and report_and_throw().
    std::vector<Reply> run(Argvs commands, Deadline deadline);
    asio::awaitable<std::vector<Reply>> async_run(Argvs commands, Deadline deadline);
    asio::awaitable<void> async_wait_unfenced(Deadline deadline);
    [[nodiscard]] bool may_write() const noexcept;
    void check_usable();
    // The one reply of a command; an error reply is thrown typed (and reported).
    Reply single_reply(std::vector<Reply> replies);
    // Marks the lease broken if `e` poisons it, tells context->on_error, rethrows. Call it only
    // from the catch block that caught `e`.
    [[noreturn]] void report_and_throw(const Error& e);

    pool::Lease lease_;
    std::shared_ptr<const LeaseContext> context_;
    std::uint64_t generation_ = 0;
};

}  // namespace ucm::redis
