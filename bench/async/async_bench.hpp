#pragma once
// Shared by the coroutine-API benchmarks (scripts/bench-async.sh): the sandbox endpoints from the
// environment, the managers they build, and a timed run of coroutines on one io_context thread.

#include "core/pg_uri.hpp"

#include <ucm/core/config.hpp>
#include <ucm/manager/unified_connection_manager.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace ucm::bench {

using BenchClock = std::chrono::steady_clock;

inline std::string require_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: start the sandbox (scripts/bench-async.sh does)");
    }
    return value;
}

/// An AsyncModern manager on UCM_BENCH_PG; `pool_size` 0 keeps the mode's preset (12 + 8).
inline Config async_config(std::size_t pool_size) {
    Config config;
    config.manager.mode = ManagerMode::AsyncModern;
    config.manager.id = "bench-async";
    if (pool_size > 0) {
        config.pool.size = pool_size;
        config.pool.max_overflow = 0;
    }
    config.pool.acquire_timeout = std::chrono::seconds{120};
    ucm::detail::apply_pg_connection_string(require_env("UCM_BENCH_PG"), config.postgres, "UCM_BENCH_PG");
    return config;
}

/// async_config() plus the standalone Redis at UCM_BENCH_REDIS (host:port).
inline Config async_redis_config(std::size_t pool_size) {
    Config config = async_config(pool_size);
    const std::string text = require_env("UCM_BENCH_REDIS");
    const auto colon = text.rfind(':');
    const Endpoint at{text.substr(0, colon), static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = at}};
    return config;
}

/// What a timed run counted: operations completed and the wall time they took.
struct Tally {
    std::uint64_t ops = 0;
    BenchClock::duration elapsed{};
    [[nodiscard]] double per_second() const {
        return static_cast<double>(ops) / std::chrono::duration<double>(elapsed).count();
    }
};

/// Runs `workers` (each loops until the stop time it was given, adding to the tally) on one
/// io_context thread; the time runs from the spawn until the last one finished. Rethrows the
/// first failure.
template <class MakeWorker>
Tally run_timed(std::size_t workers, std::chrono::duration<double> seconds, MakeWorker make_worker) {
    asio::io_context io(1);
    Tally tally;
    std::exception_ptr failure;
    const auto start = BenchClock::now();
    const auto until = start + std::chrono::duration_cast<BenchClock::duration>(seconds);
    for (std::size_t i = 0; i < workers; ++i) {
        asio::co_spawn(io, make_worker(i, until, tally.ops), [&failure](std::exception_ptr e) {
            if (e && !failure) failure = e;
        });
    }
    io.run();
    tally.elapsed = BenchClock::now() - start;
    if (failure) std::rethrow_exception(failure);
    return tally;
}

}  // namespace ucm::bench
