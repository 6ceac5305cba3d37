// Routing under concurrency: many threads acquire reads and writes while the prober refreshes the
// topology every few milliseconds and health checks run beside them. TSan is one oracle (label
// `integration-concurrency`); the counters are the other.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>

#include <thread>

namespace ucm::test {
namespace {

TEST(RoutingConcurrency, ReadsAndWritesRouteCorrectlyWhileTheTopologyRefreshesUnderThem) {
    auto config = ha_config(sandbox_env().pg_primary, sandbox_env().pg_standby, ManagerMode::SyncHeavy, "rconc");
    config.postgres.topology_refresh = 5ms;
    config.pool.size = 4;
    config.pool.acquire_timeout = 30s;
    UnifiedConnectionManager manager(config);
    const std::string primary = endpoint_of_uri(sandbox_env().pg_primary);
    const std::string standby = endpoint_of_uri(sandbox_env().pg_standby);
    constexpr int kThreads = 6;
    constexpr int kRounds = 100;
    std::atomic<int> ok{0};
    std::atomic<int> misrouted{0};
    std::atomic<int> failed{0};
    std::atomic<bool> done{false};
    std::thread checker([&] {
        while (!done.load()) {
            if (manager.health_check().status != HealthStatus::Healthy) failed.fetch_add(1);
            (void)manager.connection_info();
        }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                const bool read = (i + t) % 2 == 0;
                try {
                    auto conn = manager.connection(read ? ConnectionMode::ReadOnly : ConnectionMode::ReadWrite);
                    if (conn.endpoint() != (read ? standby : primary)) misrouted.fetch_add(1);
                    if (conn.execute("SELECT pg_is_in_recovery()")[0].get<bool>(0) == read) ok.fetch_add(1);
                } catch (const Error&) {
                    failed.fetch_add(1);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    done = true;
    checker.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(misrouted.load(), 0);
    EXPECT_EQ(ok.load(), kThreads * kRounds);
    for (const auto& e : manager.connection_info().endpoints) {
        EXPECT_EQ(e.generation, 0u) << e.endpoint << ": no role changed, nothing may be invalidated";
        for (const auto& p : e.pools) EXPECT_EQ(p.stats.in_use, 0u) << e.endpoint;
    }
    EXPECT_TRUE(manager.shutdown(5s));
}

}  // namespace
}  // namespace ucm::test
