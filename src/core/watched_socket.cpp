#include "core/watched_socket.hpp"

#include "core/asio_race.hpp"

#include <asio/execution/context.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/query.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <mutex>
#include <unordered_set>

namespace ucm {

// The watches registered with one io_context; shared with them, so a watch destroyed after its
// io_context finds out under the lock.
struct WatchList {
    std::mutex mutex;
    bool open = true;
    std::unordered_set<WatchedSocket*> live;
};

namespace {

using namespace asio::experimental::awaitable_operators;

// Created after the reactor (a watch makes its socket first), so shut down before it: a lease that
// outlives its io_context holds a watch whose socket is released here, while the reactor exists.
class WatchRegistry final : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;  // NOLINT: Asio's service identification
    explicit WatchRegistry(asio::execution_context& context)
        : asio::execution_context::service(context), list_(std::make_shared<WatchList>()) {}
    [[nodiscard]] const std::shared_ptr<WatchList>& list() const noexcept { return list_; }

private:
    void shutdown() override {
        std::lock_guard lock(list_->mutex);
        list_->open = false;
        for (WatchedSocket* watch : list_->live) watch->drop();
        list_->live.clear();
    }

    std::shared_ptr<WatchList> list_;
};

int family_of(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return AF_INET;
    return address.ss_family;
}

}  // namespace

WatchedSocket::WatchedSocket(const asio::any_io_executor& ex, int fd) : ex_(ex), fd_(fd) {
    socket_.emplace(ex, asio::generic::stream_protocol(family_of(fd), SOCK_STREAM), fd);
    list_ = asio::use_service<WatchRegistry>(asio::query(ex, asio::execution::context)).list();
    std::lock_guard lock(list_->mutex);
    list_->live.insert(this);
}

WatchedSocket::~WatchedSocket() {
    std::lock_guard lock(list_->mutex);
    if (!socket_) return;  // its io_context shut down already and released it
    list_->live.erase(this);
    drop();
}

void WatchedSocket::drop() noexcept {
    asio::error_code ignored;
    (void)socket_->release(ignored);
    socket_.reset();
}

asio::awaitable<SocketReady> WatchedSocket::wait(bool read, bool write, asio::steady_timer& deadline) {
    if (!socket_) throw asio::system_error(asio::error::operation_aborted, "its io_context shut down");
    // An error completing the peek (EOF, a reset) still means "go and read": the library finds out.
    auto readable = [this]() -> asio::awaitable<void> {
        (void)co_await socket_->async_receive(asio::buffer(&peek_, 1), asio::socket_base::message_peek,
                                             asio::experimental::as_tuple(asio::use_awaitable));
    };
    auto writable = [this]() -> asio::awaitable<void> {
        (void)co_await socket_->async_wait(asio::socket_base::wait_write,
                                          asio::experimental::as_tuple(asio::use_awaitable));
    };
    try {
        if (read && write) {
            auto race = readable() || writable() || deadline.async_wait(asio::use_awaitable);
            const auto winner = co_await std::move(race);
            co_return SocketReady{.read = winner.index() == 0, .write = winner.index() == 1};
        }
        if (read) {
            auto race = readable() || deadline.async_wait(asio::use_awaitable);
            const auto winner = co_await std::move(race);
            co_return SocketReady{.read = winner.index() == 0, .write = false};
        }
        auto race = writable() || deadline.async_wait(asio::use_awaitable);
        const auto winner = co_await std::move(race);
        co_return SocketReady{.read = false, .write = winner.index() == 0};
    } catch (...) {
        rethrow_unwrapped();
    }
}

}  // namespace ucm
