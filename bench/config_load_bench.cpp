// What loading and validating a typical configuration costs (start-up and reload path).
#include <ucm/core/config_load.hpp>

#include <benchmark/benchmark.h>

namespace {

constexpr const char* kConfig = R"(
[manager]
mode = "high_availability"
id = "bench"

[pool]
acquire_timeout = "2s"

[postgres]
uri = "postgresql://app:secret@127.0.0.1:5432,127.0.0.1:5433/app?sslmode=disable"

[redis]
sentinels = ["127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"]
master_name = "mymaster"
)";

void BM_LoadConfigString(benchmark::State& state) {
    for (auto _ : state) {
        auto config = ucm::load_config_string(kConfig, ucm::no_env());
        benchmark::DoNotOptimize(config);
    }
}
BENCHMARK(BM_LoadConfigString);

}  // namespace
