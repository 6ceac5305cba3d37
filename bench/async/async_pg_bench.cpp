// `SELECT 1` on one PostgreSQL connection through the coroutine API, one coroutine on a
// single-threaded io_context: sequential async_execute (pipeline depth 1) and batches of `depth`
// statements through async_execute_pipeline (PipelineMode::Independent: a Sync after each, as
// separate autocommit statements would have; Atomic, one Sync per batch, as a diagnostic). The
// blocking execute loop on a held lease is the reference. scripts/bench-async.sh compares them
// with `pgbench -M prepared -c 1 -j 1`.
#include "async_bench.hpp"
#include "async_contenders.hpp"

#include <ucm/pg/connection.hpp>
#include <ucm/pg/pipeline.hpp>

#include <asio/use_future.hpp>

#include <optional>

namespace ucm::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSql = "SELECT 1";

void expect_one(const pg::Result& rows) {
    if (rows.size() != 1 || rows[0].get<std::int32_t>(0) != 1)
        throw std::runtime_error("SELECT 1 did not return 1");
}

asio::awaitable<void> select1_loop(pg::Connection& conn, BenchClock::time_point until, std::uint64_t& ops) {
    while (BenchClock::now() < until) {
        const pg::Result rows = co_await conn.async_execute(kSql);
        expect_one(rows);
        ++ops;
    }
}

asio::awaitable<void> pipeline_loop(pg::Connection& conn, const pg::Pipeline& batch, pg::PipelineMode mode,
                                    BenchClock::time_point until, std::uint64_t& ops) {
    while (BenchClock::now() < until) {
        const std::vector<pg::StatementOutcome> outcomes =
            co_await conn.async_execute_pipeline(batch, mode, deadline_after(30s));
        for (const pg::StatementOutcome& outcome : outcomes) expect_one(outcome.result());
        ops += outcomes.size();
    }
}

/// The one lease every contender uses, taken through the coroutine API (connect not timed).
pg::Connection take_lease(UnifiedConnectionManager& manager) {
    asio::io_context io(1);
    auto lease = asio::co_spawn(io, manager.async_connection(ConnectionMode::ReadWrite), asio::use_future);
    io.run();
    return lease.get();
}

}  // namespace

double pg_async_rate(std::size_t depth, pg::PipelineMode mode, std::chrono::duration<double> seconds) {
    UnifiedConnectionManager manager(async_config(1));
    pg::Connection conn = take_lease(manager);
    pg::Pipeline batch;
    for (std::size_t i = 0; i < depth; ++i) batch.add(kSql);
    auto worker = [&](std::size_t, BenchClock::time_point until, std::uint64_t& ops) {
        return depth == 1 ? select1_loop(conn, until, ops) : pipeline_loop(conn, batch, mode, until, ops);
    };
    (void)run_timed(1, kWarmUp, worker);  // prepares the statement, warms caches and the backend
    return run_timed(1, seconds, worker).per_second();
}

double pg_blocking_rate(std::chrono::duration<double> seconds) {
    UnifiedConnectionManager manager(async_config(1));
    pg::Connection conn = manager.connection(ConnectionMode::ReadWrite);
    auto loop = [&](std::chrono::duration<double> for_how_long) {
        Tally tally;
        const auto start = BenchClock::now();
        const auto until = start + std::chrono::duration_cast<BenchClock::duration>(for_how_long);
        while (BenchClock::now() < until) {
            expect_one(conn.execute(kSql));
            ++tally.ops;
        }
        tally.elapsed = BenchClock::now() - start;
        return tally;
    };
    (void)loop(kWarmUp);
    return loop(seconds).per_second();
}

}  // namespace ucm::bench
