// Many threads through one manager against the real primary; TSan is the oracle (label
// `concurrency`), the counters are the other.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>

#include <thread>

namespace ucm::test {
namespace {

TEST(ManagerConcurrency, EightThreadsShareFourConnectionsAndEveryLeaseComesBack) {
    auto config = manager_config(sandbox_env().pg_primary, ManagerMode::SyncHeavy, "stress");
    config.pool.size = 4;
    config.pool.max_overflow = 0;
    config.pool.acquire_timeout = 30s;
    UnifiedConnectionManager manager(config);
    constexpr int kThreads = 8;
    constexpr int kRounds = 150;
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                try {
                    auto conn = manager.connection(i % 3 == 0 ? ConnectionMode::ReadOnly : ConnectionMode::ReadWrite);
                    const auto r = conn.execute("SELECT $1::int + $2::int", std::int32_t{t}, std::int32_t{i});
                    if (r[0].get<std::int32_t>(0) == t + i) ok.fetch_add(1);
                    if (i % 50 == 49) conn.release_broken();  // some connections are closed, not pooled
                } catch (const Error&) {
                    failed.fetch_add(1);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(ok.load(), kThreads * kRounds);
    const auto info = manager.connection_info();
    std::uint64_t acquired = 0;
    for (ConnectionMode access : {ConnectionMode::ReadOnly, ConnectionMode::ReadWrite}) {
        const auto& stats = pool_of(info, access).stats;
        EXPECT_EQ(stats.in_use, 0u);
        EXPECT_EQ(stats.acquired, stats.released);
        EXPECT_LE(stats.total, 4u);
        acquired += stats.acquired;
    }
    EXPECT_EQ(acquired, static_cast<std::uint64_t>(kThreads * kRounds));
}

}  // namespace
}  // namespace ucm::test
