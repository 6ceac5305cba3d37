#include "pg/conninfo.hpp"

#include <ucm/core/error.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace ucm::pg {
namespace {

bool is_ip_literal(const std::string& host) {
    in6_addr v6{};
    in_addr v4{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// Name lookups in flight: a resolver that hangs keeps its thread, so their number is capped.
std::atomic<int> lookups_in_flight{0};
constexpr int kMaxLookupsInFlight = 8;

struct Lookup {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int rc = 0;
    std::string address;
};

void run_lookup(const std::shared_ptr<Lookup>& lookup, const std::string& name) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &found);
    std::string address;
    if (rc == 0 && found != nullptr) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* addr =
            found->ai_family == AF_INET6
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
        inet_ntop(found->ai_family, addr, text, sizeof text);
        address = text;
    }
    if (found != nullptr) freeaddrinfo(found);
    std::lock_guard lock(lookup->mutex);
    lookup->rc = rc == 0 && address.empty() ? EAI_NONAME : rc;
    lookup->address = std::move(address);
    lookup->done = true;
    lookup->done_cv.notify_all();
}

[[noreturn]] void lookup_failed(const Endpoint& host, const std::string& why) {
    throw ConnectionFailed({.message = fmt::format("{}: cannot resolve host name: {}", host.to_string(), why),
                            .endpoint = host.to_string()});
}

// getaddrinfo has no timeout of its own (glibc retries for tens of seconds): it runs on a helper
// thread and the caller waits only until its deadline.
bool needs_no_lookup(const Endpoint& host) {
    return is_ip_literal(host.host) || (!host.host.empty() && host.host.front() == '/');
}

// Starts getaddrinfo for `host` on a detached helper thread (capped in number).
std::shared_ptr<Lookup> start_lookup(const Endpoint& host) {
    if (lookups_in_flight.fetch_add(1) >= kMaxLookupsInFlight) {
        lookups_in_flight.fetch_sub(1);
        lookup_failed(host, "too many lookups still in flight");
    }
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread([lookup, name = host.host] {
            run_lookup(lookup, name);
            lookups_in_flight.fetch_sub(1);
        }).detach();
    } catch (...) {
        lookups_in_flight.fetch_sub(1);
        lookup_failed(host, "no thread for the lookup");
    }
    return lookup;
}

std::string resolve(const Endpoint& host, Deadline deadline) {
    if (needs_no_lookup(host)) return host.host;
    const auto lookup = start_lookup(host);
    std::unique_lock lock(lookup->mutex);
    if (!lookup->done_cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
        lookup_failed(host, "timed out");
    }
    if (lookup->rc != 0) lookup_failed(host, gai_strerror(lookup->rc));
    return lookup->address;
}

}  // namespace

ConnectSpec make_connect_spec(const PgOptions& options, const Endpoint& host, const SessionFlavor& flavor,
                              Deadline deadline) {
    return make_connect_spec_for(options, host, flavor, resolve(host, deadline));
}

// The coroutine waits for the same detached lookup as the blocking path, looking every millisecond
// whether it is done: getaddrinfo cannot be cancelled, and Asio's own resolver would hold the
// caller past its deadline (an awaitable race waits for every branch to finish).
asio::awaitable<ConnectSpec> async_make_connect_spec(const PgOptions& options, const Endpoint& host,
                                                     const SessionFlavor& flavor, Deadline deadline) {
    if (needs_no_lookup(host)) co_return make_connect_spec_for(options, host, flavor, host.host);
    const auto lookup = start_lookup(host);
    asio::steady_timer tick(co_await asio::this_coro::executor);
    for (;;) {
        {
            std::lock_guard lock(lookup->mutex);
            if (lookup->done) break;
        }
        if (SteadyClock::now() >= deadline) lookup_failed(host, "timed out");
        tick.expires_after(std::chrono::milliseconds{1});
        co_await tick.async_wait(asio::use_awaitable);
    }
    if (lookup->rc != 0) lookup_failed(host, gai_strerror(lookup->rc));
    co_return make_connect_spec_for(options, host, flavor, lookup->address);
}

ConnectSpec make_connect_spec_for(const PgOptions& options, const Endpoint& host, const SessionFlavor& flavor,
                                  const std::string& address) {
    ConnectSpec spec;
    spec.endpoint = host.to_string();
    auto add = [&spec](std::string key, std::string value) {
        if (!value.empty()) spec.keywords.emplace_back(std::move(key), std::move(value));
    };
    if (address != host.host) add("host", host.host);  // kept for TLS host name verification
    add(address.front() == '/' ? "host" : "hostaddr", address);
    add("port", std::to_string(host.port));
    add("dbname", options.dbname);
    const PgRole* role = flavor.role ? &*flavor.role : nullptr;
    add("user", role ? role->user : options.user);
    add("password", role ? role->password.reveal() : options.password.reveal());
    add("application_name", flavor.application_name);
    add("sslmode", std::string(to_string(options.sslmode)));
    add("sslrootcert", options.sslrootcert.string());
    add("sslcert", options.sslcert.string());
    add("sslkey", options.sslkey.string());
    add("sslpassword", options.sslpassword.reveal());
    add("client_encoding", "UTF8");
    // A peer that vanishes without a FIN (power loss, partition) must not hold a lease for the
    // kernel's two-hour default: keepalives find an idle dead peer, tcp_user_timeout a busy one.
    add("keepalives", "1");
    add("keepalives_idle", "10");
    add("keepalives_interval", "5");
    add("keepalives_count", "3");
    const auto user_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.connect_timeout);
    add("tcp_user_timeout", std::to_string(std::max<std::int64_t>(user_timeout.count(), 1000)));
    std::string startup;
    // Free at connect time, but PgBouncer rejects startup options: there sessions use BEGIN READ ONLY.
    if (flavor.read_only && !options.unnamed_statements_only) startup += "-c default_transaction_read_only=on";
    if (options.statement_timeout && !options.unnamed_statements_only) {
        if (!startup.empty()) startup += ' ';
        startup += fmt::format("-c statement_timeout={}", options.statement_timeout->count());
    }
    add("options", startup);
    return spec;
}

}  // namespace ucm::pg
