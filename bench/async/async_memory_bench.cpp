// ucm_async_memory_bench [WAITERS]: the heap each coroutine waiting in async_connection() costs.
// An AsyncModern manager (pool 12 + 8, the mode's preset) on UCM_BENCH_PG has all its connections
// held; then WAITERS (default 10,000) coroutines are spawned on one io_context and run until each
// is suspended (io.poll()), and the live heap is compared with its value before the spawn:
//   - baseline: each coroutine co_awaits its own asio::steady_timer (what any waiting coroutine
//     costs the user, Asio's frame and timer operation included);
//   - ucm: each co_awaits manager.async_connection(ReadWrite); the pool must report
//     stats.waiting == WAITERS. Then the held connections are released and every coroutine must
//     get its lease, run SELECT 1 and finish.
// ucm's own bytes per waiter = (ucm - baseline) / WAITERS. Counting: bench/async/counting_alloc.hpp.
// Prints "key<TAB>value" lines for scripts/bench-async.sh; exits non-zero if a check fails.
#include "async_bench.hpp"
#include "counting_alloc.hpp"

#include <ucm/pg/connection.hpp>

#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <string>

namespace {

using namespace ucm;
using namespace std::chrono_literals;
using bench::LiveHeap;

struct Phase {
    int enqueued = 0;
    int done = 0;
    int failed = 0;
};

asio::awaitable<void> hold_all(UnifiedConnectionManager& manager, std::size_t n,
                               std::vector<pg::Connection>& held) {
    for (std::size_t i = 0; i < n; ++i)
        held.push_back(co_await manager.async_connection(ConnectionMode::ReadWrite));
}

asio::awaitable<void> wait_on_timer(std::vector<asio::steady_timer*>& timers, Phase& phase) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    timers.push_back(&timer);
    ++phase.enqueued;
    try {
        co_await timer.async_wait(asio::use_awaitable);
    } catch (const std::system_error&) {  // cancelled: the measurement is over
    }
}

// A separate coroutine, so its frame exists only once the lease is granted.
asio::awaitable<bool> select1(pg::Connection& conn) {
    const pg::Result rows = co_await conn.async_execute("SELECT 1");
    co_return rows[0].get<std::int32_t>(0) == 1;
}

asio::awaitable<void> wait_for_connection(UnifiedConnectionManager& manager, Phase& phase) {
    ++phase.enqueued;
    pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadWrite);
    if (!co_await select1(conn)) ++phase.failed;
}

std::uint64_t waiting(const UnifiedConnectionManager& manager) {
    for (const auto& pool : manager.connection_info().endpoints.at(0).pools) {
        if (pool.access == ConnectionMode::ReadWrite) return pool.stats.waiting;
    }
    return 0;
}

void print(const char* key, std::int64_t value) {
    std::printf("%s\t%lld\n", key, static_cast<long long>(value));
}

std::string sizes_text(int waiters, bool new_only) {
    std::string text;
    for (const auto& s : bench::sizes_left(waiters * 9 / 10, new_only)) {
        if (!text.empty()) text += ' ';
        text += std::to_string(s.size) + "x" + std::to_string(s.net);
    }
    return text.empty() ? "-" : text;
}

/// Spawns `waiters` coroutines made by `make`, runs them until all are suspended and returns the
/// heap they hold then; the per-size counts show which blocks they left.
template <class Make>
LiveHeap queue_up(asio::io_context& io, int waiters, Phase& phase, Make make, const char* prefix) {
    const LiveHeap heap_before = bench::live_heap();
    const LiveHeap cxx_before = bench::live_cxx_new();
    bench::count_sizes(true);
    for (int i = 0; i < waiters; ++i) {
        asio::co_spawn(io, make(), [&phase](std::exception_ptr e) {
            if (e) ++phase.failed;
            ++phase.done;
        });
    }
    io.poll();  // every coroutine runs up to its wait and suspends
    const LiveHeap heap_after = bench::live_heap();
    const LiveHeap cxx_after = bench::live_cxx_new();
    bench::count_sizes(false);
    const std::string p(prefix);
    print((p + "_heap_bytes").c_str(), heap_after.bytes - heap_before.bytes);
    print((p + "_heap_blocks").c_str(), heap_after.blocks - heap_before.blocks);
    print((p + "_new_bytes").c_str(), cxx_after.bytes - cxx_before.bytes);
    std::printf("%s_sizes\t%s\n", prefix, sizes_text(waiters, false).c_str());
    std::printf("%s_new_sizes\t%s\n", prefix, sizes_text(waiters, true).c_str());
    print((p + "_enqueued").c_str(), phase.enqueued);
    return {.bytes = heap_after.bytes - heap_before.bytes, .blocks = heap_after.blocks - heap_before.blocks};
}

int measure(int waiters) {
    UnifiedConnectionManager manager(bench::async_config(0));
    const std::size_t size = manager.config().pool.size.value();  // the mode's preset, filled in
    const std::size_t overflow = manager.config().pool.max_overflow.value();
    const std::size_t limit = size + overflow;
    std::printf("pool\t%zu+%zu\n", size, overflow);
    print("waiters", waiters);
    asio::io_context io(1);
    std::vector<pg::Connection> held;
    held.reserve(limit);
    asio::co_spawn(io, hold_all(manager, limit, held), asio::detached);
    io.run();
    if (held.size() != limit) throw std::runtime_error("could not hold every connection of the pool");
    io.restart();

    Phase timer_phase;
    std::vector<asio::steady_timer*> timers;
    timers.reserve(static_cast<std::size_t>(waiters));
    auto make_timer_waiter = [&] { return wait_on_timer(timers, timer_phase); };
    (void)queue_up(io, waiters, timer_phase, make_timer_waiter, "timer");
    for (asio::steady_timer* t : timers) t->cancel();
    io.run();
    io.restart();
    print("timer_finished", timer_phase.done);

    Phase ucm_phase;
    auto make_ucm_waiter = [&] { return wait_for_connection(manager, ucm_phase); };
    (void)queue_up(io, waiters, ucm_phase, make_ucm_waiter, "ucm");
    const std::uint64_t waiting_seen = waiting(manager);
    print("ucm_waiting", static_cast<std::int64_t>(waiting_seen));
    const auto drain_start = bench::BenchClock::now();
    held.clear();
    io.run();
    const double drain = std::chrono::duration<double>(bench::BenchClock::now() - drain_start).count();
    print("ucm_finished", ucm_phase.done);
    print("ucm_failed", ucm_phase.failed);
    std::printf("ucm_drain_seconds\t%.3f\n", drain);
    print("waiting_after", static_cast<std::int64_t>(waiting(manager)));
    const bool ok = timer_phase.enqueued == waiters && timer_phase.done == waiters &&
                    timer_phase.failed == 0 && ucm_phase.enqueued == waiters &&
                    waiting_seen == static_cast<std::uint64_t>(waiters) && ucm_phase.done == waiters &&
                    ucm_phase.failed == 0;
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const int waiters = argc > 1 ? std::stoi(argv[1]) : 10'000;
        const int status = measure(waiters);
        if (status != 0)
            std::fprintf(
                stderr,
                "memory: not every coroutine queued (pool stats.waiting), got its turn and finished\n");
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "memory: %s\n", e.what());
        return 1;
    }
}
