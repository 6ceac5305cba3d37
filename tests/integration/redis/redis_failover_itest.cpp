// Real Sentinel failovers under load, each test on its own sandbox (PostgreSQL too: a manager needs
// it). Counting oracles: a ucm writer and a naive client write sequence numbers into one set each
// on the master; afterwards every number ucm acknowledged must be on the new master, while the
// naive client (reconnects only on errors) shows that the test can see lost writes.

#include "support/manager_support.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_failover.hpp"
#include "support/redis_support.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace ucm {
namespace {

using namespace test;
class RedisSentinelDestructive : public ::testing::Test {
protected:
    void SetUp() override {
        box_.emplace(sandbox::Sandbox::start({.postgres = true, .redis = true, .supervisor_exe = test::cli_path()}));
        sentinels_ = endpoint_list(box_->env().at("UCM_TEST_REDIS_SENTINELS"));
        name_ = box_->env().at("UCM_TEST_REDIS_MASTER_NAME");
        // Sentinels need a moment to find each other (ENVIRONMENT gotcha 6).
        ASSERT_TRUE(eventually([&] {
            for (const auto& s : sentinels_) {
                try {
                    auto r = RawRedis(s.host, s.port, 500ms).command({"SENTINEL", "CKQUORUM", name_});
                    if (r.is_error()) return false;
                } catch (const std::exception&) {
                    return false;
                }
            }
            return true;
        }, 30s)) << "sentinels never reached quorum";
        config_ = manager_config(box_->env().at("UCM_TEST_PG_PRIMARY"), ManagerMode::AsyncModern, "redis-failover");
        config_.redis = sentinel_redis(box_->env().at("UCM_TEST_REDIS_SENTINELS"), name_);
        config_.health.probe_timeout = 1s;
        config_.pool.acquire_timeout = 5s;
    }
    void TearDown() override {
        if (box_) box_->stop();
    }
    [[nodiscard]] std::string address(const char* member) const {
        return "127.0.0.1:" + std::to_string(box_->port(member));
    }

    std::optional<sandbox::Sandbox> box_;
    std::vector<Endpoint> sentinels_;
    std::string name_;
    Config config_;
};

// UcmWriter through the coroutine API: one coroutine on an io_context thread of its own.
class AsyncUcmWriter {
public:
    AsyncUcmWriter(UnifiedConnectionManager& manager, std::string key) : manager_(manager), key_(std::move(key)) {
        asio::co_spawn(io_, run(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~AsyncUcmWriter() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::vector<Ack> acks() const { return log_.acks(); }
    std::size_t acked_at(const std::string& endpoint, Clock::time_point after) const {
        return log_.acked_at(endpoint, after);
    }
    long in_doubt() const { return in_doubt_; }

private:
    asio::awaitable<void> run() {
        asio::steady_timer tick(co_await asio::this_coro::executor, Clock::now());
        long next = 0;
        while (!stop_) {
            try {
                redis::Connection lease = co_await manager_.async_redis(ConnectionMode::ReadWrite);
                while (!stop_) {
                    tick.expires_at(tick.expiry() + kWriteInterval);
                    co_await tick.async_wait(asio::use_awaitable);
                    const auto sent = Clock::now();
                    (void)co_await lease.async_command("SADD", key_, next);
                    log_.add({next++, sent, Clock::now(), lease.endpoint()});
                }
            } catch (const Error& e) {
                if (!e.retriable()) {
                    ++in_doubt_;
                    ++next;
                }
            }
            tick.expires_after(1ms);  // after a failure, a breath before the same number again
            co_await tick.async_wait(asio::use_awaitable);
        }
    }

    UnifiedConnectionManager& manager_;
    std::string key_;
    asio::io_context io_;
    AckLog log_;
    std::atomic<long> in_doubt_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

TEST_F(RedisSentinelDestructive, CoroutineWriterFollowsTheSwitchAndLosesNoAcknowledgedWrite) {
    const std::string old_master = address("redis0");
    const std::string replica = address("redis1");
    UnifiedConnectionManager manager(config_);
    FailoverClock clock(sentinels_);
    AsyncUcmWriter writer(manager, "async-writes");
    ASSERT_TRUE(eventually([&] { return writer.acked_at(old_master, {}) > 200; }, 10s));

    box_->sentinel_failover();
    ASSERT_TRUE(eventually([&] { return clock.switched().has_value(); }, 30s)) << "no +switch-master";
    ASSERT_TRUE(eventually([&] { return writer.acked_at(replica, *clock.switched()) > 500; }, 15s))
        << "the coroutine writer did not resume writing on " << replica;
    writer.stop();

    const auto first_event = clock.first_event();
    ASSERT_TRUE(first_event.has_value()) << "no failover-progress event was heard before the switch";
    const auto acks = writer.acks();
    const auto gone = lost(acks, members(replica, "async-writes"));
    EXPECT_LE(gone.size(), 1U);  // as for the blocking writer: only a write sent before the fence
    for (const auto& a : gone) EXPECT_LT(a.sent, *first_event + 50ms) << "write " << a.value << " lost";
    for (const auto& a : acks) {
        if (a.sent > *clock.switched()) {
            EXPECT_EQ(a.endpoint, replica) << "write " << a.value;
        }
    }
    const auto first = first_ack_at(acks, replica, *clock.switched());
    std::cout << "[async failover] " << acks.size() << " acknowledged, " << gone.size() << " lost, "
              << writer.in_doubt() << " in doubt; +switch-master -> first write on the new master "
              << ms_between(*clock.switched(), first->acked) << " ms\n";
}

TEST_F(RedisSentinelDestructive, FailoverLosesNoAcknowledgedWriteWhileANaiveClientDoes) {
    const std::string old_master = address("redis0");
    const std::string replica = address("redis1");
    UnifiedConnectionManager manager(config_);
    FailoverClock clock(sentinels_);
    UcmWriter ucm_writer(manager, "ucm-writes");
    NaiveWriter naive(sentinels_, name_, "naive-writes");
    ASSERT_TRUE(eventually([&] { return ucm_writer.acked_at(old_master, {}) > 200; }, 10s));

    box_->sentinel_failover();
    ASSERT_TRUE(eventually([&] { return clock.switched().has_value(); }, 30s)) << "no +switch-master";
    // Writes resume on the new master without a restart, and keep going there.
    ASSERT_TRUE(eventually([&] { return ucm_writer.acked_at(replica, *clock.switched()) > 500; }, 15s))
        << "ucm did not resume writing on " << replica;
    // The old master comes back as a replica; once it is, the naive client has been told too.
    ASSERT_TRUE(eventually([&] { return role_of(old_master) == "slave"; }, 30s));
    ASSERT_TRUE(eventually([&] { return first_ack_at(naive.acks(), replica, *clock.switched()).has_value(); }, 15s));
    ucm_writer.stop();
    naive.stop();

    const auto first_event = clock.first_event();
    ASSERT_TRUE(first_event.has_value()) << "no failover-progress event was heard before the switch";
    const auto ucm_acks = ucm_writer.acks();
    const auto naive_acks = naive.acks();
    const auto ucm_lost = lost(ucm_acks, members(replica, "ucm-writes"));
    const auto naive_lost = lost(naive_acks, members(replica, "naive-writes"));
    // One writer has at most one write in flight: when the fence went up, that one may have been
    // sent already (and acknowledged by the old master after the replica stopped replicating).
    EXPECT_LE(ucm_lost.size(), 1U);
    for (const auto& a : ucm_lost) {
        EXPECT_LT(a.sent, *first_event + 50ms) << "write " << a.value << " was sent "
                                               << ms_between(*first_event, a.sent)
                                               << " ms after the failover began and lost";
    }
    EXPECT_GT(naive_lost.size(), 0U) << "the naive client lost nothing: this test could not see a loss";
    for (const auto& a : ucm_acks) {
        if (a.sent > *clock.switched()) {
            EXPECT_EQ(a.endpoint, replica) << "write " << a.value;
        }
    }
    const auto ucm_first = first_ack_at(ucm_acks, replica, *clock.switched());
    const auto naive_first = first_ack_at(naive_acks, replica, *clock.switched());
    std::cout << "[failover] ucm: " << ucm_acks.size() << " acknowledged, " << ucm_lost.size() << " lost, "
              << ucm_writer.in_doubt() << " in doubt, " << ucm_writer.retried() << " retried; naive: "
              << naive_acks.size() << " acknowledged, " << naive_lost.size() << " lost; first event -> "
              << "+switch-master " << ms_between(*first_event, *clock.switched())
              << " ms; +switch-master -> first write on the new master: ucm "
              << ms_between(*clock.switched(), ucm_first->acked) << " ms, naive "
              << ms_between(*clock.switched(), naive_first->acked) << " ms\n";
    const auto health = manager.health_check();
    ASSERT_TRUE(health.redis.has_value());
    EXPECT_EQ(health.redis->master, replica);
    EXPECT_FALSE(health.redis->fenced);
    EXPECT_EQ(health.redis->generation, 2U);
}

TEST_F(RedisSentinelDestructive, KilledMasterIsReplacedAndTheOldOneReturnsAsAReplicaUcmNeverWritesTo) {
    const std::string old_master = address("redis0");
    const std::string replica = address("redis1");
    UnifiedConnectionManager manager(config_);
    FailoverClock clock(sentinels_);
    UcmWriter writer(manager, "ucm-writes");
    ASSERT_TRUE(eventually([&] { return writer.acked_at(old_master, {}) > 200; }, 10s));

    box_->kill("redis0");
    ASSERT_TRUE(eventually([&] { return clock.switched().has_value(); }, 30s)) << "the sentinels elected no one";
    ASSERT_TRUE(eventually([&] { return writer.acked_at(replica, *clock.switched()) > 200; }, 15s))
        << "ucm did not follow the sentinels to " << replica;
    EXPECT_EQ(role_of(replica), "master");

    box_->start_member("redis0");
    // Sentinel converts a returning master only after it has reported the wrong role for a
    // while (about ten seconds here, sometimes more).
    ASSERT_TRUE(eventually([&] { return role_of(old_master) == "slave"; }, 60s))
        << "the sentinels did not turn the old master into a replica";
    const auto rejoined = Clock::now();
    // Reads may go to it once a sentinel lists it as a usable replica again (the tracker
    // refreshes its replicas at least every 5 s).
    bool read_from_old = false;
    ASSERT_TRUE(eventually([&] {
        auto reader = manager.redis(ConnectionMode::ReadOnly);
        if (reader.endpoint() != old_master) return false;
        read_from_old = reader.command("SCARD", "ucm-writes").as_integer() > 0;
        return true;
    }, 20s)) << "no read went to the returned replica";
    EXPECT_TRUE(read_from_old);
    ASSERT_TRUE(eventually([&] { return writer.acked_at(replica, rejoined) > 200; }, 10s));
    writer.stop();

    // Nothing ucm acknowledged after the switch went anywhere but the elected replica, and it is all there.
    const auto acks = writer.acks();
    const auto present = members(replica, "ucm-writes");
    std::size_t after_switch = 0;
    for (const auto& a : acks) {
        if (a.sent <= *clock.switched()) continue;
        ++after_switch;
        EXPECT_EQ(a.endpoint, replica) << "write " << a.value;
        EXPECT_TRUE(present.contains(a.value)) << "write " << a.value << " acknowledged after the switch is missing";
    }
    EXPECT_GT(after_switch, 400U);
    const auto first = first_ack_at(acks, replica, *clock.switched());
    std::cout << "[kill] +switch-master -> first write on the new master " << ms_between(*clock.switched(), first->acked)
              << " ms; " << lost(acks, present).size() << " of " << acks.size()
              << " acknowledged writes missing (asynchronous replication: those acknowledged just before the kill)\n";
}

TEST_F(RedisSentinelDestructive, SentinelsKilledOrStoppedAreNoticedAndTheKnownMasterKeepsServing) {
    const std::string master = address("redis0");
    UnifiedConnectionManager manager(config_);
    auto write = [&](int n) {
        auto conn = manager.redis(ConnectionMode::ReadWrite);
        EXPECT_EQ(conn.endpoint(), master);
        for (int i = 0; i < n; ++i) conn.command("INCR", "counter");
    };
    auto sentinel_health = [&](const char* member) {
        const auto target = address(member);
        const auto report = manager.health_check();
        for (const auto& s : report.redis->sentinels) {
            if (s.endpoint == target) return s;
        }
        throw std::runtime_error("no health entry for " + target + " in " + report.to_json());
    };
    ASSERT_TRUE(eventually([&] { return manager.health_check().status == HealthStatus::Healthy; }, 10s))
        << manager.health_check().to_json();

    box_->kill("sentinel1");
    EXPECT_TRUE(eventually([&] { return !sentinel_health("sentinel1").reachable; }, 5s));
    EXPECT_TRUE(sentinel_health("sentinel0").reachable);
    write(10);
    auto report = manager.health_check();
    EXPECT_EQ(report.status, HealthStatus::Degraded) << report.to_json();
    EXPECT_EQ(report.redis->quorum_ok, std::optional<bool>(true)) << report.redis->quorum;  // 2 of 3 still agree

    box_->pause("sentinel2");
    const auto paused = Clock::now();
    EXPECT_TRUE(eventually([&] { return !sentinel_health("sentinel2").reachable; }, 5s));
    std::cout << "[sentinels] SIGSTOP noticed within " << ms_between(paused, Clock::now()) << " ms\n";
    EXPECT_TRUE(sentinel_health("sentinel0").reachable);
    write(10);
    box_->resume("sentinel2");
    EXPECT_TRUE(eventually([&] { return sentinel_health("sentinel2").reachable; }, 10s));

    box_->kill("sentinel0");
    box_->kill("sentinel2");
    write(10);
    report = manager.health_check();
    EXPECT_EQ(report.status, HealthStatus::Degraded) << report.to_json();
    EXPECT_EQ(report.redis->master, master);
    EXPECT_FALSE(report.redis->quorum_ok.has_value());
    for (const auto& s : report.redis->sentinels) EXPECT_FALSE(s.reachable) << s.endpoint;
    EXPECT_EQ(RawRedis::at(master).command({"GET", "counter"}).str, "30");
}

}  // namespace
}  // namespace ucm
