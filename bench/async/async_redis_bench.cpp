// GET against a real Redis through the coroutine API on one io_context thread: `clients`
// coroutines each looping async_command("GET") on its own lease (redis-benchmark -c 16's shape),
// and one coroutine sending async_pipeline batches of `depth` GETs (redis-benchmark -P 16 -c 1).
// scripts/bench-async.sh runs them alternately with redis-benchmark.
#include "async_bench.hpp"
#include "async_contenders.hpp"

#include <ucm/redis/connection.hpp>

#include <asio/use_future.hpp>

#include <string_view>

namespace ucm::bench {
namespace {

// redis-benchmark's defaults: without -r the key is the literal "key:__rand_int__"; SET's value is
// 3 bytes of 'x'. The key is set first, so both sides read the same 3-byte value.
constexpr std::string_view kKey = "key:__rand_int__";
constexpr std::string_view kValue = "xxx";

void expect_value(const redis::Reply& reply) {
    if (reply.as_string() != kValue) throw std::runtime_error("GET returned something else");
}

asio::awaitable<void> get_loop(redis::Connection& conn, BenchClock::time_point until, std::uint64_t& ops) {
    while (BenchClock::now() < until) {
        const redis::Reply reply = co_await conn.async_command("GET", kKey);
        expect_value(reply);
        ++ops;
    }
}

asio::awaitable<void> pipelined_loop(redis::Connection& conn, const std::vector<redis::Command>& batch,
                                     BenchClock::time_point until, std::uint64_t& ops) {
    while (BenchClock::now() < until) {
        std::vector<redis::Command> commands = batch;  // async_pipeline takes its commands by value
        const std::vector<redis::Reply> replies = co_await conn.async_pipeline(std::move(commands));
        for (const redis::Reply& reply : replies) expect_value(reply);
        ops += replies.size();
    }
}

asio::awaitable<void> take_leases(UnifiedConnectionManager& manager, std::size_t n,
                                  std::vector<redis::Connection>& leases) {
    for (std::size_t i = 0; i < n; ++i)
        leases.push_back(co_await manager.async_redis(ConnectionMode::ReadWrite));
    const redis::Reply set = co_await leases.front().async_command("SET", kKey, kValue);
    (void)set;
}

/// `n` leases held for the whole run (connects not timed); the vector never changes afterwards,
/// so the leases stay in place while their awaitables run.
std::vector<redis::Connection> hold_leases(UnifiedConnectionManager& manager, std::size_t n) {
    std::vector<redis::Connection> leases;
    leases.reserve(n);
    asio::io_context io(1);
    auto done = asio::co_spawn(io, take_leases(manager, n, leases), asio::use_future);
    io.run();
    done.get();
    return leases;
}

}  // namespace

double redis_async_get_rate(std::size_t clients, std::chrono::duration<double> seconds) {
    UnifiedConnectionManager manager(async_redis_config(clients));
    std::vector<redis::Connection> leases = hold_leases(manager, clients);
    auto worker = [&](std::size_t i, BenchClock::time_point until, std::uint64_t& ops) {
        return get_loop(leases[i], until, ops);
    };
    (void)run_timed(clients, kWarmUp, worker);
    return run_timed(clients, seconds, worker).per_second();
}

double redis_async_pipelined_get_rate(std::size_t depth, std::chrono::duration<double> seconds) {
    UnifiedConnectionManager manager(async_redis_config(1));
    std::vector<redis::Connection> leases = hold_leases(manager, 1);
    const std::vector<redis::Command> batch(depth, redis::args("GET", kKey));
    auto worker = [&](std::size_t, BenchClock::time_point until, std::uint64_t& ops) {
        return pipelined_loop(leases.front(), batch, until, ops);
    };
    (void)run_timed(1, kWarmUp, worker);
    return run_timed(1, seconds, worker).per_second();
}

}  // namespace ucm::bench
