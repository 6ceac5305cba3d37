#pragma once
// A connection's socket registered with one io_context's reactor for as long as a lease uses it
// from coroutines on that io_context, instead of once per wait: registering a borrowed descriptor
// for each wait cost three epoll_ctl calls and an ioctl per round trip (measured: two thirds of the
// system calls of an async Redis GET). The socket stays libpq's or hiredis's: it is released, never
// closed, and the owner drops the watch before the library closes or replaces the socket.
//
// Reads wait with a one-byte MSG_PEEK receive, which Asio first tries at once: the reactor is
// edge-triggered, so a plain readiness wait could sleep through data that arrived before it began.
// Writes wait with a readiness wait, which re-arms the registration and so cannot miss an edge.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include <memory>
#include <optional>

namespace ucm {

/// What a wait found the socket ready for; neither: the deadline timer fired first.
struct SocketReady {
    bool read = false;
    bool write = false;
};

struct WatchList;

/// Thread safety: not thread-safe; used by the one coroutine holding the lease (its destructor may
/// race the io_context's destruction: that is locked). Lifetime: must be destroyed before the
/// socket is closed. It may outlive its io_context: the io_context's shutdown releases it first.
class WatchedSocket {
public:
    WatchedSocket(const asio::any_io_executor& ex, int fd);
    ~WatchedSocket();
    WatchedSocket(const WatchedSocket&) = delete;
    WatchedSocket& operator=(const WatchedSocket&) = delete;

    /// Whether this watch serves waits for `fd` on `ex` (else the owner makes a new one). Not once
    /// its io_context shut down: a new io_context may have the old one's address.
    [[nodiscard]] bool serves(const asio::any_io_executor& ex, int fd) const noexcept {
        return socket_.has_value() && fd == fd_ && ex == ex_;
    }

    /// Waits until the socket is readable (`read`: data, EOF or an error to read) or writable, as
    /// asked, or until `deadline` fires. A cancellation of the caller propagates as
    /// asio::system_error (operation_aborted).
    asio::awaitable<SocketReady> wait(bool read, bool write, asio::steady_timer& deadline);

    /// Releases the socket from the reactor and forgets it (the io_context is shutting down).
    /// Called with the WatchList locked.
    void drop() noexcept;

private:
    asio::any_io_executor ex_;
    int fd_;
    std::optional<asio::generic::stream_protocol::socket> socket_;
    std::shared_ptr<WatchList> list_;
    char peek_ = 0;
};

}  // namespace ucm
