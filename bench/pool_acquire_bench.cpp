// The pool's own overhead: acquire + release with a stub resource that does no I/O, on 1 thread and
// on 2 and 8 threads sharing 4 connections, next to a bare mutex + condition variable + deque pool of
// 4 (the reference ENVIRONMENT.md gotcha 13 quotes at 15 ns) and the parts the cycle is made of.
// With ->Threads(n)->UseRealTime(), "Time" is wall time divided by the iterations of all threads:
// the aggregate cost per acquire + release, comparable to HikariCP's 46 ns at 8 threads over 4.
//
//   cmake --preset release -B build/release && cmake --build build/release --target ucm_bench
//   build/release/bench/ucm_bench --benchmark_filter='Pool|MutexDeque|Clock'
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true   (one command line)
#include "pool/blocking_pool.hpp"
#include "pool/pool_core.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace {

using namespace std::chrono_literals;
using ucm::pool::BlockingPool;
using ucm::pool::BlockingPoolSetup;
using ucm::pool::Lease;
using ucm::pool::PooledResource;

constexpr std::size_t kConnections = 4;

/// A connection that is always alive and clean: measures the pool, not a driver.
class StubResource final : public PooledResource {
  public:
    bool is_alive() noexcept override { return true; }
    bool ping(ucm::Deadline /*deadline*/) noexcept override { return true; }
    ucm::pool::ResetResult reset(ucm::Deadline /*deadline*/) noexcept override {
        return ucm::pool::ResetResult::Clean;
    }
    void close() noexcept override {}
};

BlockingPool& four_connection_pool() {
    static BlockingPool pool(BlockingPoolSetup{
        .options = {.size = kConnections, .max_overflow = 0, .acquire_timeout = 60s},
        .factory = [](ucm::Deadline) { return std::make_unique<StubResource>(); },
        .endpoint = "bench:0",
        .jitter_seed = 1,
    });
    static const bool warm = [] {  // open all four before anything is timed
        std::vector<Lease> leases;
        for (std::size_t i = 0; i < kConnections; ++i) leases.push_back(pool.acquire());
        return true;
    }();
    (void)warm;
    return pool;
}

void BM_PoolAcquireRelease(benchmark::State& state) {
    BlockingPool& pool = four_connection_pool();
    const ucm::pool::PoolStats before = pool.stats();
    for (auto _ : state) {
        Lease lease = pool.acquire();
        benchmark::DoNotOptimize(&lease.resource());
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {  // the share of acquires that had to queue (all threads)
        const ucm::pool::PoolStats after = pool.stats();
        const auto acquired = static_cast<double>(after.acquired - before.acquired);
        const auto at_once = static_cast<double>(after.acquire_wait[0] - before.acquire_wait[0]);
        state.counters["queued_pct"] = acquired > 0 ? 100.0 * (acquired - at_once) / acquired : 0.0;
    }
}
BENCHMARK(BM_PoolAcquireRelease)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

/// The reference: the simplest thread-safe pool there is.
class MutexDequePool {
  public:
    MutexDequePool() {
        for (std::size_t i = 0; i < kConnections; ++i) {
            owned_.push_back(std::make_unique<StubResource>());
            free_.push_back(owned_.back().get());
        }
    }
    StubResource* acquire() {
        std::unique_lock lk(mutex_);
        if (free_.empty()) ++waits;
        cv_.wait(lk, [this] { return !free_.empty(); });
        StubResource* r = free_.front();
        free_.pop_front();
        return r;
    }
    void release(StubResource* r) {
        {
            std::lock_guard lk(mutex_);
            free_.push_back(r);
        }
        cv_.notify_one();
    }

  private:
  public:
    std::uint64_t waits = 0;  ///< acquires that found nothing free (guarded by mutex_)

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<StubResource*> free_;
    std::vector<std::unique_ptr<StubResource>> owned_;
};

void BM_MutexDequeAcquireRelease(benchmark::State& state) {
    static MutexDequePool pool;
    const std::uint64_t waits_before = pool.waits;
    for (auto _ : state) {
        StubResource* r = pool.acquire();
        benchmark::DoNotOptimize(r);
        pool.release(r);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        const auto all = static_cast<double>(state.iterations()) * state.threads();
        state.counters["queued_pct"] = 100.0 * static_cast<double>(pool.waits - waits_before) / all;
    }
}
BENCHMARK(BM_MutexDequeAcquireRelease)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

/// The sans-io core alone (no lock, no clock, no resource calls): its share of the cycle.
void BM_PoolCoreAcquireRelease(benchmark::State& state) {
    ucm::pool::PoolCore core({.size = kConnections, .max_overflow = 0}, 1);
    const ucm::pool::TimePoint now{std::chrono::hours(1)};
    ucm::pool::Actions out;
    ucm::pool::Waiter w;
    w.deadline = now + 5s;
    core.acquire(w, now, out);
    core.on_connected(w.slot, &w, now, out);
    core.release(w.slot, false, now, out);
    for (auto _ : state) {
        ucm::pool::Waiter request;
        request.deadline = now + 5s;
        ucm::pool::Actions actions;
        core.acquire(request, now, actions);
        benchmark::DoNotOptimize(request.slot);
        core.release(request.slot, false, now, actions);
    }
}
BENCHMARK(BM_PoolCoreAcquireRelease);

/// One uncontended std::mutex lock + unlock: the pool takes two per cycle, the reference two.
void BM_MutexLockUnlock(benchmark::State& state) {
    std::mutex m;
    for (auto _ : state) {
        m.lock();
        benchmark::ClobberMemory();
        m.unlock();
    }
}
BENCHMARK(BM_MutexLockUnlock);

void BM_CoarseClock(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(ucm::pool::coarse_now());
}
BENCHMARK(BM_CoarseClock);

void BM_SteadyClock(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_SteadyClock);

}  // namespace
