// ucm_async_bench CONTENDER SECONDS: runs one contender of the coroutine-API benchmarks against
// the sandbox (UCM_BENCH_PG; UCM_BENCH_REDIS for the redis_* ones) and prints
// "CONTENDER<TAB>ops/s". scripts/bench-async.sh runs each once per round, alternating with the
// peers (pgbench, redis-benchmark), and writes the "Coroutine API" section of docs/BENCHMARKS.md.
//
//   UCM_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres build/release/bench/ucm_async_bench
//   pg_async_16 3
//
// Contenders: pg_async_1, pg_async_16, pg_async_64 (SELECT 1 at that pipeline depth, one
// coroutine; pipelines in PipelineMode::Independent), pg_async_16_atomic (diagnostic: one Sync
// per batch), pg_blocking (execute() loop), redis_async_c16 (16 coroutines x 16 leases, GET),
// redis_async_p16 (async_pipeline of 16 GETs, one lease).
#include "async_contenders.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace {

double run(std::string_view contender, std::chrono::duration<double> seconds) {
    using namespace ucm::bench;
    constexpr auto kIndependent = ucm::pg::PipelineMode::Independent;
    if (contender == "pg_async_1") return pg_async_rate(1, kIndependent, seconds);
    if (contender == "pg_async_16") return pg_async_rate(16, kIndependent, seconds);
    if (contender == "pg_async_64") return pg_async_rate(64, kIndependent, seconds);
    if (contender == "pg_async_16_atomic") return pg_async_rate(16, ucm::pg::PipelineMode::Atomic, seconds);
    if (contender == "pg_blocking") return pg_blocking_rate(seconds);
    if (contender == "redis_async_c16") return redis_async_get_rate(16, seconds);
    if (contender == "redis_async_p16") return redis_async_pipelined_get_rate(16, seconds);
    throw std::invalid_argument("unknown contender " + std::string(contender));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONTENDER SECONDS (see the file's first comment)\n", argv[0]);
        return 2;
    }
    try {
        const double rate = run(argv[1], std::chrono::duration<double>(std::stod(argv[2])));
        std::printf("%s\t%.1f\n", argv[1], rate);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[1], e.what());
        return 1;
    }
}
