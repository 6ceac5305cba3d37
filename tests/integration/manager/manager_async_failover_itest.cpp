// PostgreSQL failover through the coroutine API: coroutine writers on one io_context thread while
// the primary is killed (kill -9) and the standby promoted, under synchronous replication. Writes
// must resume on the promoted server with only typed, retriable failures meanwhile, and every
// acknowledged write must be on the survivor. Starts its own sandbox.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace ucm::test {
namespace {

struct Score {
    std::mutex mutex;
    std::set<std::int64_t> acked;
    std::map<std::string, std::size_t> acked_on;  // endpoint -> acknowledged writes
    std::size_t retriable = 0;
    std::size_t in_doubt = 0;
    std::vector<std::string> unexpected;
};

asio::awaitable<void> write_rows(UnifiedConnectionManager& manager, int writer, Score& score,
                                 const std::atomic<bool>& stop) {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (std::int64_t seq = 1; !stop.load(); ++seq) {
        const std::int64_t id = static_cast<std::int64_t>(writer) * 100'000'000 + seq;
        std::string endpoint;
        bool failed = false;
        try {
            if (writer % 2 == 0) {
                pg::Connection conn = co_await manager.async_connection(ConnectionMode::ReadWrite);
                endpoint = conn.endpoint();
                (void)co_await conn.async_execute("INSERT INTO ha_rows(id) VALUES ($1)", id);
            } else {
                auto insert = [&](pg::Session& tx) -> asio::awaitable<void> {
                    endpoint = tx.connection().endpoint();
                    co_await tx.async_execute("INSERT INTO ha_rows(id) VALUES ($1)", id);
                };  // named: g++ 12 mishandles a temporary lambda inside a co_await expression
                co_await manager.async_run_transaction(insert);
            }
            std::lock_guard lock(score.mutex);
            score.acked.insert(id);
            ++score.acked_on[endpoint];
        } catch (const InDoubt&) {
            std::lock_guard lock(score.mutex);
            ++score.in_doubt;
            failed = true;
        } catch (const Error& e) {
            std::lock_guard lock(score.mutex);
            if (e.retriable()) {
                ++score.retriable;
            } else {
                score.unexpected.push_back(std::string(to_string(e.code())) + ": " + e.what());
            }
            failed = true;
        }
        if (failed) {
            pause.expires_after(1ms);
            co_await pause.async_wait(asio::use_awaitable);
        }
    }
}

TEST(AsyncFailoverDestructive, CoroutineWritersMoveToThePromotedStandbyAndLoseNoAcknowledgedWrite) {
    auto box = sandbox::Sandbox::start({.redis = false, .sync_replication = true, .supervisor_exe = cli_path()});
    const auto primary = endpoint_of_uri(box.pg_uri("pg0"));
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    {
        AdminConnection admin0(box.pg_uri("pg0"));
        admin0.exec("CREATE TABLE ha_rows(id bigint PRIMARY KEY)");
    }
    AdminConnection admin1(box.pg_uri("pg1"));
    Config config = ha_config(box.pg_uri("pg0"), box.pg_uri("pg1"), ManagerMode::AsyncModern, "async-failover");
    config.pool.acquire_timeout = 10s;  // writers wait out a failover
    config.postgres.connect_timeout = 2s;
    config.health.probe_timeout = 2s;
    UnifiedConnectionManager manager(config);

    Score score;
    std::atomic<bool> stop{false};
    asio::io_context io;
    std::atomic<int> finished{0};
    for (int w = 0; w < 8; ++w) {
        asio::co_spawn(io, write_rows(manager, w, score, stop), [&](std::exception_ptr e) {
            if (e) {
                std::lock_guard lock(score.mutex);
                score.unexpected.emplace_back("a writer coroutine ended with an exception");
            }
            ++finished;
        });
    }
    std::thread runner([&] { io.run(); });
    const auto acked_on = [&](const std::string& endpoint) {
        std::lock_guard lock(score.mutex);
        return score.acked_on[endpoint];
    };
    ASSERT_TRUE(eventually([&] { return acked_on(primary) >= 200; }, 15s));

    box.kill("pg0", SIGKILL);
    (void)eventually(
        [&] { return admin1.exec("SELECT count(*) FROM pg_stat_wal_receiver")[0].get<std::int64_t>(0) == 0; }, 3s);
    box.promote("pg1");
    EXPECT_TRUE(eventually([&] { return acked_on(standby) >= 200; }, 20s))
        << "writes did not resume on the promoted standby: " << manager.health_check().to_json();
    stop = true;
    runner.join();
    EXPECT_EQ(finished.load(), 8);

    std::set<std::int64_t> rows;
    for (auto row : admin1.exec("SELECT id FROM ha_rows")) rows.insert(row.get<std::int64_t>(0));
    std::lock_guard lock(score.mutex);
    EXPECT_TRUE(score.unexpected.empty()) << score.unexpected.front();
    std::size_t missing = 0;
    for (std::int64_t id : score.acked) missing += rows.count(id) == 0 ? 1U : 0U;
    EXPECT_EQ(missing, 0U) << "acknowledged writes missing on the survivor";
    EXPECT_GE(score.acked_on[primary], 200U);
    EXPECT_GE(score.acked_on[standby], 200U);
    std::cout << "[ async failover ] acked " << score.acked.size() << ", retriable failures " << score.retriable
              << ", in doubt " << score.in_doubt << "\n";
}

}  // namespace
}  // namespace ucm::test
