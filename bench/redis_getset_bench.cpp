// GET and SET against a real Redis at one client: through ucm (acquire + command + release per
// iteration, the way a service uses manager.redis()), through ucm with one lease held (only the
// command path timed), and through bare blocking hiredis (redisCommandArgv on one context) as the
// floor. scripts/bench-redis.sh runs them alternately with `redis-benchmark -c 1` and writes the
// Redis section of docs/BENCHMARKS.md.
//
// Registered only when UCM_BENCH_REDIS (host:port) and UCM_BENCH_PG (a manager needs PostgreSQL)
// are set, so the CI smoke run needs no sandbox:
//   UCM_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres UCM_BENCH_REDIS=127.0.0.1:6379
//       build/release/bench/ucm_bench --benchmark_filter=Redis --benchmark_min_time=3   (one line)
#include "core/pg_uri.hpp"

#include <ucm/core/config.hpp>
#include <ucm/manager/unified_connection_manager.hpp>

#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

// redis-benchmark's defaults: key "key:__rand_int__" without -r is the literal key, value 3 bytes.
constexpr std::string_view kKey = "key:__rand_int__";
constexpr std::string_view kValue = "xxx";

ucm::Endpoint redis_endpoint() {
    const std::string text = env_or_empty("UCM_BENCH_REDIS");
    const auto colon = text.rfind(':');
    return {text.substr(0, colon), static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
}

ucm::UnifiedConnectionManager& manager() {
    static ucm::UnifiedConnectionManager m([] {
        ucm::Config config;
        config.manager.mode = ucm::ManagerMode::SyncHeavy;
        config.manager.id = "bench-redis";
        config.pool.size = 1;
        config.pool.max_overflow = 0;
        ucm::detail::apply_pg_connection_string(env_or_empty("UCM_BENCH_PG"), config.postgres, "UCM_BENCH_PG");
        config.redis = ucm::RedisOptions{.topology = ucm::RedisStandalone{.endpoint = redis_endpoint()}};
        return config;
    }());
    return m;
}

template <bool kSet>
void one_command(ucm::redis::Connection& redis) {
    if constexpr (kSet) {
        benchmark::DoNotOptimize(redis.command("SET", kKey, kValue));
    } else {
        benchmark::DoNotOptimize(redis.command("GET", kKey));
    }
}

// kHeld: one lease for the whole run (only the command path is timed); else a lease per command.
template <bool kSet, bool kHeld>
void BM_Redis_Ucm(benchmark::State& state) {
    std::optional<ucm::redis::Connection> held;
    held.emplace(manager().redis(ucm::ConnectionMode::ReadWrite));
    (void)held->command("SET", kKey, kValue);  // the connect is not timed
    if (!kHeld) held.reset();
    for (auto _ : state) {
        try {
            if constexpr (kHeld) {
                one_command<kSet>(*held);
            } else {
                auto redis = manager().redis(ucm::ConnectionMode::ReadWrite);
                one_command<kSet>(redis);
            }
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

struct ContextFree {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};

template <bool kSet>
void BM_Redis_Hiredis(benchmark::State& state) {
    const ucm::Endpoint at = redis_endpoint();
    std::unique_ptr<redisContext, ContextFree> ctx(redisConnect(at.host.c_str(), at.port));
    if (!ctx || ctx->err) {
        state.SkipWithError("hiredis: cannot connect to UCM_BENCH_REDIS");
        for (auto _ : state) {
        }
        return;
    }
    std::array<const char*, 3> argv{kSet ? "SET" : "GET", kKey.data(), kValue.data()};
    const std::array<std::size_t, 3> lens{3, kKey.size(), kValue.size()};
    const int argc = kSet ? 3 : 2;
    for (auto _ : state) {
        auto* reply = static_cast<redisReply*>(redisCommandArgv(ctx.get(), argc, argv.data(), lens.data()));
        if (reply == nullptr) {
            state.SkipWithError("hiredis: command failed");
            break;
        }
        benchmark::DoNotOptimize(reply->type);
        freeReplyObject(reply);
    }
    state.SetItemsProcessed(state.iterations());
}

[[maybe_unused]] const bool registered = [] {
    if (env_or_empty("UCM_BENCH_REDIS").empty() || env_or_empty("UCM_BENCH_PG").empty()) return false;
    benchmark::RegisterBenchmark("RedisSet_Ucm", BM_Redis_Ucm<true, false>)->UseRealTime();
    benchmark::RegisterBenchmark("RedisGet_Ucm", BM_Redis_Ucm<false, false>)->UseRealTime();
    benchmark::RegisterBenchmark("RedisSet_UcmHeldLease", BM_Redis_Ucm<true, true>)->UseRealTime();
    benchmark::RegisterBenchmark("RedisGet_UcmHeldLease", BM_Redis_Ucm<false, true>)->UseRealTime();
    benchmark::RegisterBenchmark("RedisSet_Hiredis", BM_Redis_Hiredis<true>)->UseRealTime();
    benchmark::RegisterBenchmark("RedisGet_Hiredis", BM_Redis_Hiredis<false>)->UseRealTime();
    return true;
}();

}  // namespace
