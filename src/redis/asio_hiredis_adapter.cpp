#include "redis/asio_hiredis_adapter.hpp"

#include "core/sigpipe_guard.hpp"

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <cstdint>
#include <map>
#include <system_error>

namespace ucm::redis {

using Descriptor = asio::posix::stream_descriptor;

// Everything the hooks and Asio's handlers touch. It lives as long as hiredis may call a hook
// (ev.data holds a shared_ptr to it until the cleanup hook) and as long as a handler is pending.
struct AsioHiredisState : std::enable_shared_from_this<AsioHiredisState> {
    using Handlers = AsioHiredisAdapter::Handlers;
    struct Pending {
        AsyncReplyHandler handler{};
        std::unique_ptr<asio::steady_timer> deadline{};  // reset once a subscription is confirmed
        bool subscription = false;
        std::string what{};  // the command's name, for the timeout message (never its arguments)
    };
    struct Direction {
        bool wanted = false;  // hiredis asked for this event (add*) and has not withdrawn it (del*)
        bool armed = false;   // a wait or a posted handler is outstanding
    };

    AsioHiredisState(asio::io_context& io, Endpoint endpoint, Handlers handlers)
        : io_(io), endpoint_(std::move(endpoint)), handlers_(std::move(handlers)), descriptor_(io), connect_timer_(io) {}

    void connect(std::chrono::milliseconds connect_timeout);
    bool send(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, AsyncReplyHandler handler,
              bool subscription);
    void close_by_owner() noexcept;
    [[nodiscard]] bool usable() const noexcept { return ac_ != nullptr && !closing_; }

    // hiredis's side.
    void want(Descriptor::wait_type type, bool wanted);
    void on_connect(int status);
    void on_reply(std::uint64_t id, const redisReply* reply);
    void on_cleanup();

    asio::io_context& io_;
    Endpoint endpoint_;
    Handlers handlers_;
    redisAsyncContext* ac_ = nullptr;  // null once hiredis has cleaned up (the context is gone)
    Descriptor descriptor_;            // does not own the fd: hiredis closes it
    asio::steady_timer connect_timer_;
    std::map<std::uint64_t, Pending> pending_{};
    std::uint64_t next_id_ = 1;
    Direction read_{};
    Direction write_{};
    bool connected_ = false;
    bool closing_ = false;     // a free is under way; no new commands
    bool suppressed_ = false;  // the owner closed: call nothing of the owner's any more
    std::string reason_{};     // why the connection failed, if ucm decided it

private:
    Direction& direction(Descriptor::wait_type type) { return type == Descriptor::wait_read ? read_ : write_; }
    void arm(Descriptor::wait_type type);
    void on_ready(Descriptor::wait_type type, const std::error_code& ec);
    void fail(std::string reason);
    [[nodiscard]] std::string close_reason() const;
    void start_deadline(std::uint64_t id, Pending& pending, std::chrono::milliseconds timeout);
};

namespace {

using State = AsioHiredisState;

State& state_of(void* ev_data) { return **static_cast<std::shared_ptr<State>*>(ev_data); }

void hook_add_read(void* data) { state_of(data).want(Descriptor::wait_read, true); }
void hook_del_read(void* data) { state_of(data).want(Descriptor::wait_read, false); }
void hook_add_write(void* data) { state_of(data).want(Descriptor::wait_write, true); }
void hook_del_write(void* data) { state_of(data).want(Descriptor::wait_write, false); }
void hook_cleanup(void* data) {
    // The last hook hiredis calls: drop its reference, keeping the state alive for this call.
    auto* holder = static_cast<std::shared_ptr<State>*>(data);
    const std::shared_ptr<State> state = std::move(*holder);
    delete holder;
    state->on_cleanup();
}
void hook_connect(const redisAsyncContext* ac, int status) { static_cast<State*>(ac->data)->on_connect(status); }
void hook_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    static_cast<State*>(ac->data)->on_reply(reinterpret_cast<std::uintptr_t>(privdata),
                                            static_cast<const redisReply*>(reply));
}

// Level-triggered readiness right now. Asio's epoll reactor is edge-triggered and async_wait is
// never speculative, so data left in the socket after hiredis's one read() (or a socket that has
// stayed writable) would produce no new edge and stall the connection until a deadline.
bool ready_now(int fd, Descriptor::wait_type type) {
    pollfd p{.fd = fd, .events = static_cast<short>(type == Descriptor::wait_read ? POLLIN : POLLOUT), .revents = 0};
    return ::poll(&p, 1, 0) > 0 && p.revents != 0;
}

}  // namespace

void State::connect(std::chrono::milliseconds connect_timeout) {
    redisAsyncContext* ac = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
    if (ac == nullptr || ac->err != 0) {
        reason_ = "connect to " + endpoint_.to_string() + " failed: " + (ac ? ac->errstr : "out of memory");
        if (ac != nullptr) redisAsyncFree(ac);  // no hooks yet: nothing else runs
        closing_ = true;
        asio::post(io_, [self = shared_from_this()] {
            if (!self->suppressed_ && self->handlers_.on_closed) self->handlers_.on_closed(self->reason_);
        });
        return;
    }
    ac_ = ac;
    ac->data = this;
    ac->ev.data = new std::shared_ptr<State>(shared_from_this());
    ac->ev.addRead = hook_add_read;
    ac->ev.delRead = hook_del_read;
    ac->ev.addWrite = hook_add_write;
    ac->ev.delWrite = hook_del_write;
    ac->ev.cleanup = hook_cleanup;
    std::error_code ec;
    descriptor_.assign(ac->c.fd, ec);
    if (ec) {
        fail("cannot watch the socket to " + endpoint_.to_string() + ": " + ec.message());
        return;
    }
    // Registers for the first write event, which is how hiredis notices the connect completing.
    redisAsyncSetConnectCallback(ac, hook_connect);
    connect_timer_.expires_after(connect_timeout);
    connect_timer_.async_wait([weak = weak_from_this(), connect_timeout](const std::error_code& error) {
        auto self = weak.lock();
        if (error || !self || !self->usable() || self->connected_) return;
        self->fail("connect to " + self->endpoint_.to_string() + " timed out after " +
                   std::to_string(connect_timeout.count()) + " ms");
    });
}

bool State::send(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, AsyncReplyHandler handler,
                 bool subscription) {
    if (!usable() || argv.empty()) return false;
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    args.reserve(argv.size());
    lens.reserve(argv.size());
    for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    const std::uint64_t id = next_id_++;
    // The id, not a pointer, travels through hiredis: a late callback finds nothing and does nothing.
    if (redisAsyncCommandArgv(ac_, hook_reply, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)),
                              static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
        return false;
    }
    Pending& p = pending_[id];
    p.handler = std::move(handler);
    p.subscription = subscription;
    p.what = argv.front();
    start_deadline(id, p, timeout);
    return true;
}

void State::start_deadline(std::uint64_t id, Pending& pending, std::chrono::milliseconds timeout) {
    pending.deadline = std::make_unique<asio::steady_timer>(io_, timeout);
    pending.deadline->async_wait([weak = weak_from_this(), id, timeout](const std::error_code& error) {
        auto self = weak.lock();
        if (error || !self || !self->usable()) return;
        auto it = self->pending_.find(id);
        if (it == self->pending_.end() || !it->second.deadline) return;
        // The connection is dropped: a late reply could no longer be told from the next one's.
        self->fail("no reply to " + it->second.what + " from " + self->endpoint_.to_string() + " within " +
                   std::to_string(timeout.count()) + " ms");
    });
}

void State::want(Descriptor::wait_type type, bool wanted) {
    direction(type).wanted = wanted;
    if (wanted) arm(type);
}

void State::arm(Descriptor::wait_type type) {
    Direction& d = direction(type);
    if (!d.wanted || d.armed || ac_ == nullptr) return;
    d.armed = true;
    if (ready_now(ac_->c.fd, type)) {
        // Never call into hiredis from inside a hook (we may be inside redisAsyncCommand).
        asio::post(io_, [self = shared_from_this(), type] { self->on_ready(type, {}); });
    } else {
        descriptor_.async_wait(type, [self = shared_from_this(), type](const std::error_code& ec) {
            self->on_ready(type, ec);
        });
    }
}

void State::on_ready(Descriptor::wait_type type, const std::error_code& ec) {
    Direction& d = direction(type);
    d.armed = false;
    if (ec || ac_ == nullptr) return;  // released at cleanup, or the context is already gone
    if (d.wanted) {
        if (type == Descriptor::wait_read) {
            redisAsyncHandleRead(ac_);
        } else {
            const ucm::detail::SigpipeGuard no_sigpipe;  // hiredis 0.14 writes with write(), not send()
            redisAsyncHandleWrite(ac_);
        }
    }
    arm(type);  // a no-op when hiredis freed the context meanwhile (ac_ is null then)
}

void State::on_connect(int status) {
    if (status != REDIS_OK) {
        // hiredis frees the context right after this; the cleanup hook reports it.
        if (reason_.empty() && ac_ != nullptr) {
            reason_ = "connect to " + endpoint_.to_string() + " failed: " + ac_->errstr;
        }
        return;
    }
    connected_ = true;
    connect_timer_.cancel();
    // Posted: the owner may close us from on_connected, which must not free the context while
    // hiredis is still inside its connect handling.
    asio::post(io_, [self = shared_from_this()] {
        if (!self->suppressed_ && self->usable() && self->handlers_.on_connected) self->handlers_.on_connected();
    });
}

void State::on_reply(std::uint64_t id, const redisReply* reply) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    AsyncReplyHandler handler;
    if (reply == nullptr || !it->second.subscription) {
        handler = std::move(it->second.handler);
        pending_.erase(it);  // also cancels its deadline
    } else {
        it->second.deadline.reset();  // confirmed (or a message): no deadline on later messages
        handler = it->second.handler;  // a copy: the owner may close or destroy us from inside it
    }
    if (suppressed_ || !handler) return;
    if (reply == nullptr) {
        handler(nullptr, close_reason());
    } else {
        handler(reply, std::string());
    }
}

void State::on_cleanup() {
    const std::string reason = close_reason();
    if (ac_ != nullptr) {
        // Nothing after this point may reach us through the context hiredis is about to free.
        ac_->ev = {};
        ac_->data = nullptr;
    }
    ac_ = nullptr;
    closing_ = true;
    connect_timer_.cancel();
    // release(), never close(): hiredis closes the fd right after this hook. Pending waits end
    // with operation_aborted and find ac_ null.
    if (descriptor_.is_open()) (void)descriptor_.release();
    pending_.clear();
    if (!suppressed_) {
        asio::post(io_, [self = shared_from_this(), reason] {
            if (!self->suppressed_ && self->handlers_.on_closed) self->handlers_.on_closed(reason);
        });
    }
}

void State::fail(std::string reason) {
    if (!usable()) return;
    reason_ = std::move(reason);
    closing_ = true;
    redisAsyncFree(ac_);  // runs every pending callback with NULL, then the cleanup hook
}

void State::close_by_owner() noexcept {
    suppressed_ = true;
    if (!usable()) return;
    closing_ = true;
    // Deferred by hiredis until the current callback returns when called from one.
    redisAsyncFree(ac_);
}

std::string State::close_reason() const {
    if (!reason_.empty()) return reason_;
    if (ac_ != nullptr && ac_->err != 0) return endpoint_.to_string() + ": " + ac_->errstr;
    return "connection to " + endpoint_.to_string() + " closed";
}

// ---- the public face ----------------------------------------------------------------------------

AsioHiredisAdapter::AsioHiredisAdapter(asio::io_context& io, const Endpoint& endpoint,
                                       std::chrono::milliseconds connect_timeout, Handlers handlers)
    : endpoint_(endpoint), state_(std::make_shared<AsioHiredisState>(io, endpoint, std::move(handlers))) {
    state_->connect(connect_timeout);
}

AsioHiredisAdapter::~AsioHiredisAdapter() { close(); }

bool AsioHiredisAdapter::command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 AsyncReplyHandler handler) {
    return state_->send(argv, timeout, std::move(handler), false);
}

bool AsioHiredisAdapter::subscribe(const std::string& channel, bool pattern, std::chrono::milliseconds confirm_timeout,
                                   AsyncReplyHandler handler) {
    return state_->send({pattern ? "PSUBSCRIBE" : "SUBSCRIBE", channel}, confirm_timeout, std::move(handler), true);
}

void AsioHiredisAdapter::close() noexcept { state_->close_by_owner(); }

bool AsioHiredisAdapter::open() const noexcept { return state_->usable(); }

bool AsioHiredisAdapter::connected() const noexcept { return state_->usable() && state_->connected_; }

}  // namespace ucm::redis
