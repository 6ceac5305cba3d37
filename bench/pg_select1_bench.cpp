// The whole path against a real server: `SELECT 1` through ucm (acquire + execute + release per
// iteration, pool size = threads) next to raw libpq making the same protocol calls (one PGconn per
// thread, held for the whole run; PQprepare once, then PQexecPrepared per iteration: ucm's default
// path is a named prepared statement from its per-connection cache, i.e. `pgbench -M prepared`).
// Each iteration also reads the one value back, on both sides.
//
// Registered only when UCM_BENCH_PG names a server (a postgresql:// URI or conninfo), so the CI
// smoke run (`ucm_bench --benchmark_min_time=0.001`, no variables) never needs a sandbox:
//   PgSelect1_Ucm/threads:{1,4,16}        ucm, direct to PostgreSQL (prepared statements)
//   PgSelect1_RawLibpq/threads:{1,4}      raw libpq, same server, same statement
//   PgSelect1_UcmHeldLease/threads:{1,4}  diagnostic: one ucm lease per thread held for the whole
//                                         run, so only execute is timed (the pool cycle's share)
//   PgSelect1_UcmViaPgBouncer/threads:16  only when UCM_BENCH_PGBOUNCER is set too: ucm with
//                                         unnamed statements through PgBouncer (not a goal; the
//                                         issue's comparison puts ucm direct, replacing the hop)
// With ->Threads(n)->UseRealTime(), items_per_second is the aggregate rate of all n threads.
// scripts/bench.sh runs these alternately with pgbench and writes docs/BENCHMARKS.md.
//
//   UCM_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres build/release/bench/ucm_bench
//       --benchmark_filter=PgSelect1 --benchmark_min_time=3                   (one command line)
#include "core/pg_uri.hpp"

#include <ucm/core/config.hpp>
#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/pg/connection.hpp>

#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr const char* kSql = "SELECT 1";

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

const std::string& direct_uri() {
    static const std::string uri = env_or_empty("UCM_BENCH_PG");
    return uri;
}

const std::string& bouncer_uri() {
    static const std::string uri = env_or_empty("UCM_BENCH_PGBOUNCER");
    return uri;
}

/// What one registered benchmark runs against; built by its Setup (one thread) and kept across
/// Google Benchmark's trial runs, so connections are opened and statements prepared only once.
class Contender {
  public:
    virtual ~Contender() = default;
};

class UcmContender final : public Contender {
  public:
    UcmContender(const std::string& uri, std::size_t threads, bool via_bouncer)
        : manager_(make_config(uri, threads, via_bouncer)) {
        // Open every connection and prepare the statement on each before anything is timed.
        std::vector<ucm::pg::Connection> leases;
        for (std::size_t i = 0; i < threads; ++i) {
            leases.push_back(manager_.connection(ucm::ConnectionMode::ReadWrite));
            (void)leases.back().execute(kSql);
        }
    }
    ucm::UnifiedConnectionManager& manager() { return manager_; }

  private:
    static ucm::Config make_config(const std::string& uri, std::size_t threads, bool via_bouncer) {
        ucm::Config config;
        config.manager.mode = ucm::ManagerMode::SyncHeavy;  // the blocking API's workload
        config.manager.id = "bench";
        config.pool.size = threads;
        config.pool.max_overflow = 0;
        config.pool.min_idle = threads;
        ucm::detail::apply_pg_connection_string(uri, config.postgres,
                                                via_bouncer ? "UCM_BENCH_PGBOUNCER" : "UCM_BENCH_PG");
        config.postgres.unnamed_statements_only = via_bouncer;
        return config;
    }
    ucm::UnifiedConnectionManager manager_;
};

struct PgConnDeleter {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

class RawLibpqContender final : public Contender {
  public:
    RawLibpqContender(const std::string& uri, std::size_t threads) {
        for (std::size_t i = 0; i < threads; ++i) {
            PgConnPtr conn(PQconnectdb(uri.c_str()));
            if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
                // PQerrorMessage may quote the URI's password: say only where.
                throw std::runtime_error("raw libpq: cannot connect to UCM_BENCH_PG");
            }
            PGresult* prepared = PQprepare(conn.get(), "s", kSql, 0, nullptr);
            const bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
            PQclear(prepared);
            if (!ok) throw std::runtime_error("raw libpq: PQprepare failed");
            conns_.push_back(std::move(conn));
        }
    }
    PGconn* conn(int thread_index) { return conns_.at(static_cast<std::size_t>(thread_index)).get(); }

  private:
    std::vector<PgConnPtr> conns_;
};

/// One iteration of each side, shared by the benchmarks below.
void ucm_select1(ucm::UnifiedConnectionManager& manager) {
    ucm::pg::Connection conn = manager.connection(ucm::ConnectionMode::ReadWrite);
    const ucm::pg::Result result = conn.execute(kSql);
    benchmark::DoNotOptimize(result[0].get<std::int32_t>(0));
}

bool raw_select1(PGconn* conn) {
    PGresult* result = PQexecPrepared(conn, "s", 0, nullptr, nullptr, nullptr, 0);
    const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
    if (ok) benchmark::DoNotOptimize(std::atoi(PQgetvalue(result, 0, 0)));
    PQclear(result);
    return ok;
}

enum class Kind { ucm_direct, ucm_bouncer, raw_direct };

// The contender of the benchmark running now; replaced when the next one's Setup asks for another.
struct Current {
    Kind kind{};
    int threads = 0;
    std::unique_ptr<Contender> contender;
    std::string error;  ///< why the contender could not be built; the benchmark skips with it
    /// Kinds that failed to build once: not retried at other thread counts, so a run against a
    /// server that is down costs one connect timeout per kind.
    std::map<Kind, std::string> failed;
};
Current& current() {
    static Current c;
    return c;
}

void prepare(Kind kind, const benchmark::State& state) {
    Current& c = current();
    if (c.contender && c.kind == kind && c.threads == state.threads()) return;
    c.contender.reset();  // close the previous contender's connections first
    c.kind = kind;
    c.threads = state.threads();
    c.error.clear();
    if (auto it = c.failed.find(kind); it != c.failed.end()) {
        c.error = it->second;
        return;
    }
    const auto n = static_cast<std::size_t>(state.threads());
    try {
        switch (kind) {
            case Kind::ucm_direct: c.contender = std::make_unique<UcmContender>(direct_uri(), n, false); break;
            case Kind::ucm_bouncer: c.contender = std::make_unique<UcmContender>(bouncer_uri(), n, true); break;
            case Kind::raw_direct: c.contender = std::make_unique<RawLibpqContender>(direct_uri(), n); break;
        }
    } catch (const std::exception& e) {
        c.error = std::string("start the sandbox (scripts/bench.sh does): ") + e.what();
        c.failed.emplace(kind, c.error);
    }
}

void setup_ucm_direct(const benchmark::State& state) { prepare(Kind::ucm_direct, state); }
void setup_ucm_bouncer(const benchmark::State& state) { prepare(Kind::ucm_bouncer, state); }
void setup_raw_direct(const benchmark::State& state) { prepare(Kind::raw_direct, state); }

/// Skips every thread with the contender's error; the loop must still be entered (0 iterations)
/// so all threads meet at Google Benchmark's start/stop barriers.
bool skipped(benchmark::State& state) {
    if (current().contender) return false;
    state.SkipWithError(current().error.empty() ? "no contender" : current().error.c_str());
    for (auto _ : state) {
    }
    return true;
}

void BM_PgSelect1_Ucm(benchmark::State& state) {
    if (skipped(state)) return;
    auto& manager = static_cast<UcmContender&>(*current().contender).manager();
    for (auto _ : state) {
        try {
            ucm_select1(manager);
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

/// Diagnostic, not a contender: one lease per thread held for the whole run, so only ucm's execute
/// path is timed; the difference to BM_PgSelect1_Ucm is the pool cycle (acquire + release).
void BM_PgSelect1_UcmHeldLease(benchmark::State& state) {
    if (skipped(state)) return;
    auto& manager = static_cast<UcmContender&>(*current().contender).manager();
    ucm::pg::Connection conn = manager.connection(ucm::ConnectionMode::ReadWrite);
    for (auto _ : state) {
        try {
            const ucm::pg::Result result = conn.execute(kSql);
            benchmark::DoNotOptimize(result[0].get<std::int32_t>(0));
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_PgSelect1_RawLibpq(benchmark::State& state) {
    if (skipped(state)) return;
    PGconn* conn = static_cast<RawLibpqContender&>(*current().contender).conn(state.thread_index());
    for (auto _ : state) {
        if (!raw_select1(conn)) {
            state.SkipWithError("raw libpq: SELECT 1 failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

// Registered at start-up, and only with a server to talk to.
[[maybe_unused]] const bool registered = [] {
    if (direct_uri().empty()) return false;
    benchmark::RegisterBenchmark("PgSelect1_Ucm", BM_PgSelect1_Ucm)
        ->Setup(setup_ucm_direct)
        ->Threads(1)
        ->Threads(4)
        ->Threads(16)
        ->UseRealTime();
    benchmark::RegisterBenchmark("PgSelect1_UcmHeldLease", BM_PgSelect1_UcmHeldLease)
        ->Setup(setup_ucm_direct)
        ->Threads(1)
        ->Threads(4)
        ->UseRealTime();
    benchmark::RegisterBenchmark("PgSelect1_RawLibpq", BM_PgSelect1_RawLibpq)
        ->Setup(setup_raw_direct)
        ->Threads(1)
        ->Threads(4)
        ->UseRealTime();
    if (!bouncer_uri().empty()) {
        benchmark::RegisterBenchmark("PgSelect1_UcmViaPgBouncer", BM_PgSelect1_Ucm)
            ->Setup(setup_ucm_bouncer)
            ->Threads(16)
            ->UseRealTime();
    }
    return true;
}();

}  // namespace
