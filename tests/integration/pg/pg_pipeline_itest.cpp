// Pipelines on pg::Connection (execute_pipeline / async_execute_pipeline) against the sandbox's
// primary: outcomes per statement, what Independent and Atomic commit, batches beyond the socket
// buffers, deadlines and cancellation, and a connection that goes back to its pool clean.
#include "support/manager_support.hpp"
#include "support/run_coroutine.hpp"

#include <ucm/core/error.hpp>
#include <ucm/pg/pipeline.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

namespace ucm::test {
namespace {

using pg::Pipeline;
using pg::PipelineMode;
using pg::StatementOutcome;
using namespace asio::experimental::awaitable_operators;

/// A table only this test uses (parallel runs never share one), dropped at the end.
class OwnTable {
  public:
    explicit OwnTable(AdminConnection& admin) : admin_(admin), name_(unique_id("pipe")) {
        std::replace(name_.begin(), name_.end(), '-', '_');
        admin_.exec("CREATE TABLE " + name_ + " (id int PRIMARY KEY)");
    }
    ~OwnTable() {
        try {
            admin_.exec("DROP TABLE IF EXISTS " + name_);
        } catch (...) {  // the sandbox goes away anyway
        }
    }
    OwnTable(const OwnTable&) = delete;
    OwnTable& operator=(const OwnTable&) = delete;
    const std::string& name() const { return name_; }
    std::string insert() const { return "INSERT INTO " + name_ + " (id) VALUES ($1)"; }
    std::int64_t rows() { return admin_.exec("SELECT count(*) FROM " + name_)[0].get<std::int64_t>(0); }

  private:
    AdminConnection& admin_;
    std::string name_;
};

Config pipeline_config(std::string_view prefix) {
    return manager_config(sandbox_env().pg_primary, ManagerMode::McpServer, prefix);
}

bool server_stops_sleeping(AdminConnection& admin, const std::string& app) {
    return eventually(
        [&] {
            return admin
                       .exec(
                           "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = "
                           "'active' "
                           "AND query LIKE '%pg_sleep(30)%'",
                           pg::params(app))[0]
                       .get<std::int64_t>(0) == 0;
        },
        5s);
}

TEST(PgPipeline, AThousandInsertsInOnePipelineAllLand) {
    AdminConnection admin(sandbox_env().pg_primary);
    OwnTable table(admin);
    UnifiedConnectionManager manager(pipeline_config("pipe-1000"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    Pipeline batch;
    for (std::int32_t i = 0; i < 1000; ++i) batch.add(table.insert(), i);
    ASSERT_EQ(batch.size(), 1000U);
    const auto outcomes = conn.execute_pipeline(batch, PipelineMode::Independent, deadline_after(30s));
    ASSERT_EQ(outcomes.size(), 1000U);
    for (const auto& o : outcomes) {
        ASSERT_TRUE(o.ok()) << o.message();
        EXPECT_EQ(o.result().affected_rows(), 1U);
    }
    EXPECT_EQ(table.rows(), 1000);
    EXPECT_TRUE(conn.execute_pipeline(Pipeline{}, PipelineMode::Atomic, deadline_after(5s)).empty());
}

TEST(PgPipeline, IndependentFailureInTheMiddleLeavesTheOthersCommitted) {
    AdminConnection admin(sandbox_env().pg_primary);
    OwnTable table(admin);
    UnifiedConnectionManager manager(pipeline_config("pipe-indep"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    Pipeline batch;
    batch.add(table.insert(), std::int32_t{1}).add(table.insert(), std::int32_t{2});
    batch.add(table.insert(), std::int32_t{1});  // duplicate key
    batch.add(table.insert(), std::int32_t{3}).add("SELECT count(*) FROM " + table.name());
    const auto outcomes = conn.execute_pipeline(batch, PipelineMode::Independent, deadline_after(10s));
    ASSERT_EQ(outcomes.size(), 5U);
    EXPECT_TRUE(outcomes[0].ok());
    EXPECT_TRUE(outcomes[1].ok());
    EXPECT_FALSE(outcomes[2].ok());
    EXPECT_EQ(outcomes[2].code(), Errc::query_failed);
    EXPECT_EQ(outcomes[2].sqlstate(), "23505");
    EXPECT_EQ(outcomes[2].error_code(), Errc::query_failed);
    EXPECT_THROW((void)outcomes[2].result(), QueryFailed);
    EXPECT_TRUE(outcomes[3].ok()) << outcomes[3].message();
    ASSERT_TRUE(outcomes[4].ok()) << outcomes[4].message();
    EXPECT_EQ(outcomes[4].result()[0].get<std::int64_t>(0), 3) << "each statement commits on its own";
    EXPECT_EQ(table.rows(), 3) << "seen from another session: committed";
}

TEST(PgPipeline, AtomicFailureRollsBackEverythingAndAbortsTheRest) {
    AdminConnection admin(sandbox_env().pg_primary);
    OwnTable table(admin);
    UnifiedConnectionManager manager(pipeline_config("pipe-atomic"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    Pipeline batch;
    batch.add(table.insert(), std::int32_t{1}).add(table.insert(), std::int32_t{2});
    batch.add("SELECT 1 / $1", std::int32_t{0});  // division by zero
    batch.add(table.insert(), std::int32_t{3}).add(table.insert(), std::int32_t{4});
    const auto outcomes = conn.execute_pipeline(batch, PipelineMode::Atomic, deadline_after(10s));
    ASSERT_EQ(outcomes.size(), 5U);
    EXPECT_TRUE(outcomes[0].ok());
    EXPECT_TRUE(outcomes[1].ok());
    EXPECT_EQ(outcomes[2].code(), Errc::query_failed);
    EXPECT_EQ(outcomes[2].sqlstate(), "22012");
    for (std::size_t i = 3; i < 5; ++i) {
        EXPECT_FALSE(outcomes[i].ok());
        EXPECT_EQ(outcomes[i].code(), Errc::pipeline_aborted);
        EXPECT_TRUE(outcomes[i].sqlstate().empty());
        try {
            (void)outcomes[i].result();
            ADD_FAILURE() << "an aborted statement has no result";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::pipeline_aborted);
            EXPECT_FALSE(e.retriable());
        }
    }
    EXPECT_EQ(table.rows(), 0) << "the statements before the failure were rolled back";
    EXPECT_EQ(conn.execute("SELECT count(*) FROM " + table.name())[0].get<std::int64_t>(0), 0)
        << "the lease left the failed implicit transaction";
}

TEST(PgPipeline, InsideASessionAFailureFailsTheRestOfTheTransaction) {
    AdminConnection admin(sandbox_env().pg_primary);
    OwnTable table(admin);
    UnifiedConnectionManager manager(pipeline_config("pipe-session"));
    auto tx = manager.session(ConnectionMode::ReadWrite);
    Pipeline batch;
    batch.add(table.insert(), std::int32_t{1}).add("SELECT 1 / 0").add(table.insert(), std::int32_t{2});
    const auto outcomes =
        tx.connection().execute_pipeline(batch, PipelineMode::Independent, deadline_after(10s));
    ASSERT_EQ(outcomes.size(), 3U);
    EXPECT_TRUE(outcomes[0].ok());
    EXPECT_EQ(outcomes[1].sqlstate(), "22012");
    EXPECT_EQ(outcomes[2].sqlstate(), "25P02") << "in failed transaction: " << outcomes[2].message();
    EXPECT_EQ(table.rows(), 0) << "nothing commits before the session does";
    tx.rollback();
}

// 20,000 statements of ~600 bytes each way: far beyond loopback socket buffers in both directions,
// so queueing everything before reading anything would stall.
Pipeline large_batch(std::vector<std::string>& payloads) {
    Pipeline batch;
    for (int i = 0; i < 20'000; ++i) {
        payloads.push_back(std::string(600, static_cast<char>('a' + i % 26)) + std::to_string(i));
        batch.add("SELECT $1::text", payloads.back());
    }
    return batch;
}

void expect_echoed(const std::vector<StatementOutcome>& outcomes, const std::vector<std::string>& payloads) {
    ASSERT_EQ(outcomes.size(), payloads.size());
    std::size_t matches = 0;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i].ok() && outcomes[i].result()[0].get<std::string>(0) == payloads[i]) ++matches;
    }
    EXPECT_EQ(matches, payloads.size());
}

TEST(PgPipeline, BatchBeyondTheSocketBuffersCompletesBlocking) {
    UnifiedConnectionManager manager(pipeline_config("pipe-large"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    std::vector<std::string> payloads;
    const Pipeline batch = large_batch(payloads);
    expect_echoed(conn.execute_pipeline(batch, PipelineMode::Independent, deadline_after(60s)), payloads);
    expect_echoed(conn.execute_pipeline(batch, PipelineMode::Atomic, deadline_after(60s)), payloads);
}

TEST(PgPipeline, BatchBeyondTheSocketBuffersCompletesInACoroutine) {
    UnifiedConnectionManager manager(pipeline_config("pipe-large-async"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    std::vector<std::string> payloads;
    const Pipeline batch = large_batch(payloads);
    const auto outcomes = run([&]() -> asio::awaitable<std::vector<StatementOutcome>> {
        co_return co_await conn.async_execute_pipeline(batch, PipelineMode::Atomic, deadline_after(60s));
    }());
    expect_echoed(outcomes, payloads);
}

TEST(PgPipeline, MissedDeadlineOnAWritableLeaseIsInDoubtAndTheServerStops) {
    AdminConnection admin(sandbox_env().pg_primary);
    OwnTable table(admin);
    auto config = pipeline_config("pipe-deadline");
    config.pool.size = 1;
    UnifiedConnectionManager manager(config);
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    Pipeline batch;
    batch.add(table.insert(), std::int32_t{1})
        .add("SELECT pg_sleep(30)")
        .add(table.insert(), std::int32_t{2});
    const auto started = SteadyClock::now();
    try {
        (void)conn.execute_pipeline(batch, PipelineMode::Independent, deadline_after(300ms));
        ADD_FAILURE() << "pg_sleep(30) finished within 300 ms";
    } catch (const InDoubt& e) {
        EXPECT_FALSE(e.retriable());
        EXPECT_NE(std::string(e.what()).find("deadline"), std::string::npos) << e.what();
    }
    EXPECT_LT(SteadyClock::now() - started, 5s);
    EXPECT_TRUE(server_stops_sleeping(admin, application_name(config)));
    // The statement after the cancelled one may still run: the server reads what was already sent
    // before it notices the closed socket. That is why the pipeline is in doubt.
    EXPECT_GE(table.rows(), 1) << "the statement before the sleep had committed on its own";
    conn.release();
    EXPECT_GE(pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats.closed, 1U)
        << "a connection abandoned mid-pipeline must not be pooled";
}

TEST(PgPipeline, MissedDeadlineOnAReadOnlyLeaseIsDeadlineExceededInACoroutine) {
    AdminConnection admin(sandbox_env().pg_primary);
    auto config = pipeline_config("pipe-deadline-ro");
    UnifiedConnectionManager manager(config);
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    Pipeline batch;
    batch.add("SELECT 1").add("SELECT pg_sleep(30)");
    run([&]() -> asio::awaitable<void> {
        try {
            (void)co_await conn.async_execute_pipeline(batch, PipelineMode::Atomic, deadline_after(300ms));
            ADD_FAILURE() << "pg_sleep(30) finished within 300 ms";
        } catch (const DeadlineExceeded& e) {
            EXPECT_TRUE(e.poisons_connection());
        }
    }());
    EXPECT_TRUE(server_stops_sleeping(admin, application_name(config)));
}

TEST(PgPipeline, CancellingTheCoroutineCancelsOnTheServerAndDropsTheConnection) {
    AdminConnection admin(sandbox_env().pg_primary);
    auto config = pipeline_config("pipe-cancel");
    UnifiedConnectionManager manager(config);
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    Pipeline batch;
    batch.add("SELECT pg_sleep(30)");
    run([&]() -> asio::awaitable<void> {
        asio::steady_timer give_up(co_await asio::this_coro::executor, 200ms);
        auto pipeline = conn.async_execute_pipeline(batch, PipelineMode::Independent, deadline_after(30s));
        auto race = std::move(pipeline) || give_up.async_wait(asio::use_awaitable);
        const auto winner = co_await std::move(race);
        EXPECT_EQ(winner.index(), 1U);
    }());
    EXPECT_TRUE(server_stops_sleeping(admin, application_name(config)));
    conn.release();
    EXPECT_GE(pool_of(manager.connection_info(), ConnectionMode::ReadOnly).stats.closed, 1U);
}

TEST(PgPipeline, ACoroutinePipelineNeverBlocksTheExecutor) {
    UnifiedConnectionManager manager(pipeline_config("pipe-ticker"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    Pipeline batch;
    batch.add("SELECT 1").add("SELECT pg_sleep(0.3)").add("SELECT 2");
    asio::io_context io;
    std::atomic<int> ticks{0};
    std::atomic<bool> done{false};
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer timer(co_await asio::this_coro::executor);
            while (!done) {
                timer.expires_after(1ms);
                co_await timer.async_wait(asio::use_awaitable);
                ++ticks;
            }
        },
        asio::detached);
    auto work = asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const int before = ticks;
            const auto outcomes =
                co_await conn.async_execute_pipeline(batch, PipelineMode::Atomic, deadline_after(5s));
            // A blocked thread would have run no tick at all while the server slept.
            EXPECT_GE(ticks - before, 10);
            EXPECT_EQ(outcomes.size(), 3U);
            EXPECT_TRUE(std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.ok(); }));
            done = true;
        },
        asio::use_future);
    io.run();
    work.get();
}

TEST(PgPipeline, TheConnectionIsReusableAndPooledCleanAfterwards) {
    AdminConnection admin(sandbox_env().pg_primary);
    OwnTable table(admin);
    auto config = pipeline_config("pipe-reuse");
    config.pool.size = 1;
    config.pool.max_overflow = 0;
    UnifiedConnectionManager manager(config);
    Pipeline failing;
    failing.add(table.insert(), std::int32_t{7}).add("SELECT 1 / 0").add("SELECT 2");
    int pid = 0;
    {
        auto conn = manager.connection(ConnectionMode::ReadWrite);
        pid = conn.backend_pid();
        (void)conn.execute_pipeline(failing, PipelineMode::Atomic, deadline_after(10s));
        EXPECT_EQ(conn.execute("SELECT $1::int + 1", std::int32_t{41})[0].get<std::int32_t>(0), 42);
        const auto outcomes = run([&]() -> asio::awaitable<std::vector<StatementOutcome>> {
            co_return co_await conn.async_execute_pipeline(failing, PipelineMode::Independent,
                                                           deadline_after(10s));
        }());
        EXPECT_TRUE(outcomes[0].ok());
        EXPECT_EQ(conn.execute("SELECT count(*) FROM " + table.name())[0].get<std::int64_t>(0), 1);
    }
    auto again = manager.connection(ConnectionMode::ReadWrite);
    EXPECT_EQ(again.backend_pid(), pid) << "the same session came back from the pool";
    const auto stats = pool_of(manager.connection_info(), ConnectionMode::ReadWrite).stats;
    EXPECT_EQ(stats.closed, 0U);
    EXPECT_EQ(again.execute("SELECT 5")[0].get<std::int32_t>(0), 5);
}

TEST(PgPipeline, ReadOnlyLeasesBehindPgBouncerAreRefusedBeforeSending) {
    AdminConnection admin(sandbox_env().pg_primary);
    auto config = pipeline_config("pipe-bouncer");
    config.postgres.unnamed_statements_only = true;  // what makes read-only leases wrap in BEGIN READ ONLY
    UnifiedConnectionManager manager(config);
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    Pipeline batch;
    batch.add("SELECT 1");
    EXPECT_THROW((void)conn.execute_pipeline(batch, PipelineMode::Atomic, deadline_after(5s)), AccessDenied);
    EXPECT_EQ(conn.execute("SELECT 3")[0].get<std::int32_t>(0), 3) << "the lease stays usable";
}

TEST(PgPipeline, AReleasedConnectionRefusesWithConnectionFailed) {
    UnifiedConnectionManager manager(pipeline_config("pipe-released"));
    auto conn = manager.connection(ConnectionMode::ReadWrite);
    conn.release();
    Pipeline batch;
    batch.add("SELECT 1");
    EXPECT_THROW((void)conn.execute_pipeline(batch, PipelineMode::Independent, deadline_after(5s)),
                 ConnectionFailed);
}

}  // namespace
}  // namespace ucm::test
