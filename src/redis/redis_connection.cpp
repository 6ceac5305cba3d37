#include "redis/redis_connection.hpp"

#include "core/poll_fd.hpp"
#include "core/watched_socket.hpp"
#include "core/redact.hpp"
#include "redis/hiredis_handle.hpp"
#include "redis/redis_error.hpp"

#include <ucm/core/error.hpp>

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ucm::redis {

struct RedisConnection::State {
    RedisContextPtr ctx;
    std::shared_ptr<SocketHandle> socket;
    std::string endpoint;
    std::string password;  // only to scrub it from messages, should a server ever echo it
    bool broken = false;
    std::size_t pending = 0;
    bool in_multi = false;
    bool watching = false;
    bool subscribed = false;
    bool changed_db = false;
    // The exchange in progress, from begin_exchange() to take_replies().
    std::span<const Argv> unqueued;  // commands not yet in hiredis's output buffer
    std::size_t expected = 0;         // replies the exchange waits for
    std::vector<Reply> replies;
    bool sent = false;                // some bytes may have left: a failure is then after_send()
    bool may_write = false;
    std::vector<const char*> words;   // redisAppendCommandArgv's arguments, kept for their capacity
    std::vector<std::size_t> lengths;
    // The socket as registered with a coroutine's io_context (see watched()). Declared last, so
    // destroyed first: released before hiredis closes the socket.
    std::unique_ptr<WatchedSocket> watch;

    void close() noexcept {
        broken = true;
        watch.reset();
        // Forget before closing: a concurrent shutdown_socket() must never reach a reused number.
        if (socket) socket->forget();
        ctx.reset();
    }
};

namespace {

using ucm::detail::poll_fd;

std::string scrub(std::string_view text, std::string_view secret) { return ucm::detail::redact(text, {secret}); }

bool is_word(std::string_view word, std::string_view upper) {
    if (word.size() != upper.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        const char c = word[i] >= 'a' && word[i] <= 'z' ? static_cast<char>(word[i] - 'a' + 'A') : word[i];
        if (c != upper[i]) return false;
    }
    return true;
}

// What a command does to the session, for the pool's reset(): judged by its name when sent.
void note_command(RedisConnection::State& s, std::string_view name) {
    if (is_word(name, "MULTI")) {
        s.in_multi = true;
    } else if (is_word(name, "EXEC") || is_word(name, "DISCARD")) {
        s.in_multi = false;
        s.watching = false;
    } else if (is_word(name, "WATCH")) {
        s.watching = true;
    } else if (is_word(name, "UNWATCH")) {
        s.watching = false;
    } else if (is_word(name, "SUBSCRIBE") || is_word(name, "PSUBSCRIBE") || is_word(name, "SSUBSCRIBE") ||
               is_word(name, "MONITOR")) {
        s.subscribed = true;
    } else if (is_word(name, "SELECT")) {
        s.changed_db = true;
    }
}

// The context failed (it says how in err/errstr): classify, close, throw.
[[noreturn]] void fail_context(RedisConnection::State& s, int saved_errno, bool sent, bool may_write) {
    const int err = s.ctx ? s.ctx->err : REDIS_ERR_EOF;
    std::string message = s.ctx && s.ctx->errstr[0] != '\0' ? std::string(s.ctx->errstr) : "connection closed";
    RedisErrorClass cls = classify_context_error(err, saved_errno);
    if (sent) {
        cls = after_send(cls, may_write);
        if (may_write) message += "; the command was sent and may have been applied";
    }
    s.close();
    throw_redis_error(cls, scrub(std::move(message), s.password), s.endpoint);
}

[[noreturn]] void fail_timeout(RedisConnection::State& s, bool sent, bool may_write) {
    RedisErrorClass cls = classify_timeout();
    std::string message = "deadline exceeded waiting for a reply; connection closed";
    if (sent) cls = after_send(cls, may_write);
    if (sent && may_write) message += "; the command was sent and may have been applied";
    s.close();
    throw_redis_error(cls, std::move(message), s.endpoint);
}

[[noreturn]] void fail_closed(const RedisConnection::State& s) {
    // Nothing is sent on a closed or broken connection, so trying again elsewhere is safe.
    throw_redis_error({.code = Errc::connection_failed, .retriable = true, .poisons = true},
                      "the connection is broken or closed; nothing was sent", s.endpoint);
}

// hiredis drops written bytes from the front of its output buffer with a memmove, so a large
// pipeline is moved into that buffer a slice at a time: one buffer of 100 MiB would be moved once
// per write, quadratically.
constexpr std::size_t kOutputSlice = 64 * 1024;

std::size_t output_pending(const RedisConnection::State& s) noexcept { return sdslen(s.ctx->obuf); }

void queue_slice(RedisConnection::State& s) {
    while (!s.unqueued.empty() && output_pending(s) < kOutputSlice) {
        const Argv argv = s.unqueued.front();
        s.words.clear();
        s.lengths.clear();
        for (std::string_view word : argv) {
            s.words.push_back(word.data());
            s.lengths.push_back(word.size());
        }
        // Fails only when out of memory (ctx->err says so); earlier slices may have left already.
        const int argc = static_cast<int>(argv.size());
        if (redisAppendCommandArgv(s.ctx.get(), argc, s.words.data(), s.lengths.data()) != REDIS_OK) {
            fail_context(s, 0, s.sent, s.may_write);
        }
        note_command(s, argv[0]);
        ++s.pending;
        s.unqueued = s.unqueued.subspan(1);
    }
}

// redisBufferWrite() with send(MSG_NOSIGNAL) instead of write(): a dead peer cannot raise SIGPIPE,
// so no signal mask has to be set and restored around each write (three system calls, a visible
// share of a GET). Like it, drops what went out from the front of the output buffer and leaves
// EAGAIN/EINTR for the next step; false (with ctx->err set, as hiredis would) on a real error.
bool send_some(redisContext& c, bool& done) {
    const std::size_t len = sdslen(c.obuf);
    if (len > 0) {
        const ssize_t n = ::send(c.fd, c.obuf, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            const int saved = errno;
            c.err = REDIS_ERR_IO;
            std::snprintf(c.errstr, sizeof c.errstr, "%s", std::strerror(saved));
            errno = saved;
            return false;
        }
        if (n > 0 && static_cast<std::size_t>(n) == len) {
            sdsfree(c.obuf);
            c.obuf = sdsempty();
        } else if (n > 0) {
            sdsrange(c.obuf, static_cast<int>(n), -1);  // n < the buffer, far below 2 GiB
        }
    }
    done = sdslen(c.obuf) == 0;
    return true;
}

// Writes until everything is out or the socket takes no more.
void write_some(RedisConnection::State& s) {
    queue_slice(s);
    if (output_pending(s) == 0) return;
    do {
        bool done = false;
        const bool ok = send_some(*s.ctx, done);
        const int saved_errno = errno;
        if (!ok) fail_context(s, saved_errno, s.sent, s.may_write);
        s.sent = true;  // conservatively: a successful call may have written something
        if (!done) return;
        queue_slice(s);
    } while (output_pending(s) != 0);
}

// hiredis reads at most 16 KiB per call; a readable socket is drained up to this many calls per
// step, so a large reply does not cost one wait per 16 KiB.
constexpr int kReadsPerStep = 16;
constexpr std::size_t kHiredisReadSize = 16 * 1024;

void read_available(RedisConnection::State& s) {
    for (int i = 0; i < kReadsPerStep; ++i) {
        const std::size_t before = s.ctx->reader->len;  // grows by what one read fed it
        if (redisBufferRead(s.ctx.get()) != REDIS_OK) fail_context(s, errno, s.sent, s.may_write);
        if (s.ctx->reader->len - before < kHiredisReadSize) return;  // a short read: nothing more waits
    }
}

void collect_replies(RedisConnection::State& s) {
    while (s.replies.size() < s.expected) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(s.ctx.get(), &raw) != REDIS_OK) fail_context(s, 0, s.sent, s.may_write);
        if (raw == nullptr) return;
        const RedisReplyPtr reply(static_cast<redisReply*>(raw));
        s.replies.push_back(to_reply(*reply));
        --s.pending;
    }
}

bool includes(IoWait ready, IoWait what) noexcept { return ready == what || ready == IoWait::read_write; }

short poll_events(IoWait wait) noexcept {
    switch (wait) {
        case IoWait::read: return POLLIN;
        case IoWait::write: return POLLOUT;
        case IoWait::read_write: return POLLIN | POLLOUT;
        case IoWait::none: break;
    }
    return 0;
}

// An error or hang-up is reported as both: the next read or write says which.
IoWait readiness(short revents) noexcept {
    constexpr short kTrouble = POLLERR | POLLHUP | POLLNVAL;
    const bool in = (revents & (POLLIN | kTrouble)) != 0;
    const bool out = (revents & (POLLOUT | kTrouble)) != 0;
    if (in && out) return IoWait::read_write;
    if (in) return IoWait::read;
    return out ? IoWait::write : IoWait::none;
}

}  // namespace

RedisConnection::RedisConnection(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
RedisConnection::RedisConnection(RedisConnection&&) noexcept = default;
RedisConnection& RedisConnection::operator=(RedisConnection&&) noexcept = default;
RedisConnection::~RedisConnection() {
    if (state_) state_->close();
}

Reply RedisConnection::exchange_one(Argv command, Deadline deadline, bool may_write) {
    const std::array<Argv, 1> one{command};
    return std::move(exchange(one, deadline, may_write).at(0));
}

// The poll() driver of the exchange steps.
std::vector<Reply> RedisConnection::exchange(std::span<const Argv> commands, Deadline deadline, bool may_write) {
    begin_exchange(commands, deadline, may_write);
    IoWait ready = IoWait::none;
    for (IoWait wait = exchange_step(ready); wait != IoWait::none; wait = exchange_step(ready)) {
        ready = readiness(ucm::detail::poll_fd(fd(), poll_events(wait), deadline));
        if (ready == IoWait::none) exchange_timed_out();
    }
    return take_replies();
}

void RedisConnection::begin_exchange(std::span<const Argv> commands, Deadline deadline, bool may_write) {
    State& s = *state_;
    if (!s.ctx || s.broken) fail_closed(s);
    s.unqueued = {};
    s.expected = 0;
    s.replies.clear();
    s.sent = false;
    s.may_write = may_write;
    if (commands.empty()) return;
    if (SteadyClock::now() >= deadline) {
        // Nothing sent yet: fail without touching the connection, which stays usable.
        throw_redis_error({.code = Errc::deadline_exceeded, .retriable = true},
                          "deadline exceeded before the command was sent", s.endpoint);
    }
    for (const Argv& argv : commands) {
        if (argv.empty()) {
            throw_redis_error({.code = Errc::redis_error}, "empty command; nothing was sent", s.endpoint);
        }
    }
    s.unqueued = commands;
    s.expected = commands.size();
    s.replies.reserve(commands.size());
}

IoWait RedisConnection::exchange_step(IoWait ready) {
    State& s = *state_;
    if (!s.ctx || s.broken) fail_closed(s);
    if (includes(ready, IoWait::read)) read_available(s);
    collect_replies(s);
    write_some(s);  // also when only readable: the server may have drained its input meanwhile
    if (!s.unqueued.empty() || output_pending(s) != 0) return IoWait::read_write;  // read too: no deadlock
    return s.replies.size() < s.expected ? IoWait::read : IoWait::none;
}

std::vector<Reply> RedisConnection::take_replies() noexcept { return std::exchange(state_->replies, {}); }

void RedisConnection::exchange_timed_out() { fail_timeout(*state_, state_->sent, state_->may_write); }

int RedisConnection::fd() const noexcept { return state_->ctx ? state_->ctx->fd : -1; }

namespace {

// The TCP part: a nonblocking connect whose outcome poll() and SO_ERROR report by the deadline.
RedisContextPtr open_socket(const RedisConnectSpec& spec, const std::string& endpoint, Deadline deadline) {
    RedisContextPtr ctx(redisConnectNonBlock(spec.endpoint.host.c_str(), spec.endpoint.port));
    auto fail = [&](RedisErrorClass cls, const std::string& why) {
        throw_redis_error(cls, fmt::format("connect failed: {}", why), endpoint);
    };
    if (!ctx) fail(classify_context_error(REDIS_ERR_OOM, 0), "out of memory");
    if (ctx->err != 0) fail(classify_context_error(ctx->err, errno), ctx->errstr);
    if (poll_fd(ctx->fd, POLLOUT, deadline) == 0) {
        fail({.code = Errc::connection_failed, .retriable = true, .poisons = true}, "timed out");
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(ctx->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
    if (so_error != 0) fail(classify_context_error(REDIS_ERR_IO, so_error), std::strerror(so_error));
    redisEnableKeepAlive(ctx.get());  // a vanished peer is noticed even on an idle pooled connection
    return ctx;
}

// AUTH, SELECT and CLIENT SETNAME in one round trip; each reply is checked in order.
void handshake(RedisConnection& conn, const RedisConnectSpec& spec, Deadline deadline) {
    const std::string db = std::to_string(spec.db);
    const std::string name = sanitize_client_name(spec.client_name);
    std::vector<std::string_view> auth_words{"AUTH"};
    if (!spec.user.empty()) auth_words.push_back(spec.user);  // Redis 6 ACL: AUTH user password
    auth_words.push_back(spec.password.reveal());
    const std::array<std::string_view, 2> select_words{"SELECT", db};
    const std::array<std::string_view, 3> name_words{"CLIENT", "SETNAME", name};
    std::vector<Argv> commands;
    std::vector<const char*> what;
    if (!spec.password.empty()) {
        commands.push_back(auth_words);
        what.push_back("AUTH");
    }
    if (spec.db != 0) {
        commands.push_back(select_words);
        what.push_back("SELECT");
    }
    if (!name.empty()) {
        commands.push_back(name_words);
        what.push_back("CLIENT SETNAME");
    }
    if (commands.empty()) return;
    std::vector<Reply> replies;
    try {
        replies = conn.exchange(commands, deadline, false);
    } catch (const DeadlineExceeded&) {
        throw_redis_error({.code = Errc::connection_failed, .retriable = true, .poisons = true},
                          "connect failed: timed out during AUTH/SELECT/CLIENT SETNAME", conn.endpoint());
    }
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (!replies[i].is_error()) continue;
        RedisErrorClass cls = classify_reply_error(replies[i].error_message());
        // Any refusal of AUTH is about the credentials, whatever word the server chose ("ERR AUTH
        // <password> called without any password configured", "WRONGPASS ...").
        if (std::string_view(what[i]) == "AUTH") cls.code = Errc::auth_failed;
        if (cls.code == Errc::auth_failed) {
            cls.retriable = false;
        } else {
            cls.code = Errc::connection_failed;  // the connection cannot be set up as configured
        }
        cls.poisons = true;
        conn.close();
        // The server's words never echo AUTH's arguments; scrubbed anyway, for belt and braces.
        throw_redis_error(cls, scrub(fmt::format("{} failed: {}", what[i], replies[i].error_message()),
                                     spec.password.reveal()),
                          conn.endpoint());
    }
}

}  // namespace

RedisConnection RedisConnection::connect(const RedisConnectSpec& spec, Deadline deadline) {
    auto state = std::make_unique<State>();
    state->endpoint = spec.endpoint.to_string();
    state->password = spec.password.reveal();
    state->ctx = open_socket(spec, state->endpoint, deadline);
    state->socket = std::make_shared<SocketHandle>(state->ctx->fd);
    RedisConnection conn(std::move(state));
    handshake(conn, spec, deadline);
    return conn;
}

bool RedisConnection::is_alive() noexcept {
    State& s = *state_;
    if (!s.ctx || s.broken || s.ctx->err != 0 || s.pending != 0) return false;
    // Bytes hiredis read but did not parse yet belong to no request: junk.
    if (s.ctx->reader != nullptr && s.ctx->reader->pos < s.ctx->reader->len) return false;
    pollfd pfd{.fd = s.ctx->fd, .events = POLLIN, .revents = 0};
    // Readable with nothing asked: EOF (server closed, CLIENT KILL, timeout) or stray bytes.
    return ::poll(&pfd, 1, 0) == 0;
}

bool RedisConnection::broken() const noexcept { return state_->broken || !state_->ctx; }
std::size_t RedisConnection::pending() const noexcept { return state_->pending; }
bool RedisConnection::in_multi() const noexcept { return state_->in_multi; }
bool RedisConnection::watching() const noexcept { return state_->watching; }
bool RedisConnection::subscribed() const noexcept { return state_->subscribed; }
bool RedisConnection::changed_db() const noexcept { return state_->changed_db; }
const std::string& RedisConnection::endpoint() const noexcept { return state_->endpoint; }
const std::shared_ptr<SocketHandle>& RedisConnection::socket() const noexcept { return state_->socket; }

void RedisConnection::shutdown_socket() noexcept {
    if (state_ && state_->socket) state_->socket->shutdown();
}

void RedisConnection::close() noexcept {
    if (state_) state_->close();
}

WatchedSocket& RedisConnection::watched(const asio::any_io_executor& ex) {
    const int fd = this->fd();
    if (!state_->watch || !state_->watch->serves(ex, fd)) {
        state_->watch.reset();  // first, so the descriptor is never registered twice
        state_->watch = std::make_unique<WatchedSocket>(ex, fd);
    }
    return *state_->watch;
}

void RedisConnection::unwatch() noexcept {
    if (state_) state_->watch.reset();
}

std::string sanitize_client_name(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        if (c < '!' || c > '~') c = '_';
    }
    return out;
}

}  // namespace ucm::redis
