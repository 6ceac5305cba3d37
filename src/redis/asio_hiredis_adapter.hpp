#pragma once
// One hiredis 0.14 async connection (redisAsyncContext) driven by an asio::io_context.
//
// hiredis ships event-loop adapters for libev, libevent, libuv and others, none for Asio, and 0.14
// has neither a connect timeout nor command timeouts (ENVIRONMENT gotcha 11). This class supplies
// all three: it installs hiredis's ev hooks on a non-owning stream_descriptor (hiredis owns and
// closes the fd), and keeps one timer for the connect and one per command. A missed deadline
// disconnects the context, so every pending callback then runs with no reply and the reason.
//
// Why callbacks are suppressed after close(): the owner closes from its own teardown paths (a
// destructor, a reconnect), where being called back into half-destroyed state is the classic bug.
// Failures that the owner did not ask for are always reported: each pending callback once with a
// null reply, then `on_closed`.
//
// hiredis headers stay out of this header: redisReply is only forward-declared, and the callers
// that read replies include <hiredis/hiredis.h> in their .cpp.

#include <ucm/core/endpoint.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct redisReply;
namespace asio {
class io_context;
}  // namespace asio

namespace ucm::redis {

struct AsioHiredisState;  // private to asio_hiredis_adapter.cpp

/// A reply, or nullptr and why there will be none (the connection failed, timed out or closed).
/// The reply is owned by hiredis and valid only during the call.
using AsyncReplyHandler = std::function<void(const redisReply* reply, const std::string& error)>;

/// One asynchronous hiredis connection on an io_context, with ucm's connect and command deadlines.
///
/// Errors: nothing throws after construction; failures arrive as a null reply and `on_closed`.
/// Thread safety: not thread-safe. Construct, use and destroy it on the io_context's thread (or
/// while no thread runs the io_context); every callback runs on that thread.
/// Lifetime: the io_context must outlive it. Closing or destroying it from inside one of its own
/// callbacks is allowed. Host names are resolved by hiredis with a blocking getaddrinfo: give IP
/// literals where the io thread must never block.
class AsioHiredisAdapter {
public:
    struct Handlers {
        /// The TCP connection is up (commands issued before were queued and are being sent).
        std::function<void()> on_connected{};
        /// The connection is gone and this object is now inert; not called after close().
        /// `reason` names the endpoint and the cause; never a secret.
        std::function<void(const std::string& reason)> on_closed{};
    };

    /// Starts connecting to `endpoint`; fails (on_closed) if not connected within `connect_timeout`.
    AsioHiredisAdapter(asio::io_context& io, const Endpoint& endpoint, std::chrono::milliseconds connect_timeout,
                       Handlers handlers);
    /// close().
    ~AsioHiredisAdapter();
    AsioHiredisAdapter(const AsioHiredisAdapter&) = delete;
    AsioHiredisAdapter& operator=(const AsioHiredisAdapter&) = delete;

    /// Queues a command; `handler` runs exactly once, with the reply, or with nullptr when the
    /// connection fails first. If no reply arrives within `timeout` the connection is closed (a
    /// reply can no longer be matched to its command) and every pending handler gets nullptr.
    /// False, and the handler is dropped, when the connection is closed or closing.
    bool command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, AsyncReplyHandler handler);

    /// SUBSCRIBE `channel` (PSUBSCRIBE when `pattern`). `handler` gets the confirmation, then every
    /// message (arrays as Redis sends them), and a final nullptr when the connection fails. A
    /// confirmation missing after `confirm_timeout` closes the connection. One channel per call, and
    /// each at most once per connection. After this, only further subscriptions may be sent
    /// (hiredis 0.14 drops other replies on a subscribed connection, PING included).
    bool subscribe(const std::string& channel, bool pattern, std::chrono::milliseconds confirm_timeout,
                   AsyncReplyHandler handler);

    /// Frees the context now (hiredis closes the socket). Pending handlers and on_closed are not
    /// called. Idempotent.
    void close() noexcept;

    /// Neither closed nor failed (possibly still connecting).
    [[nodiscard]] bool open() const noexcept;
    /// open() and the TCP connection is established.
    [[nodiscard]] bool connected() const noexcept;
    [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }

private:
    Endpoint endpoint_;
    std::shared_ptr<AsioHiredisState> state_;  // shared with hiredis's hooks and Asio's pending handlers
};

}  // namespace ucm::redis
