// Real Redis failovers, counted: on one sandbox (master, replica, three sentinels), N rounds of
// `SENTINEL FAILOVER` then N rounds of `kill -9` of the master (restarted as a replica after each),
// with three writers running at once at one write per millisecond, each into its own set:
//   ucm        manager.redis(ReadWrite), retrying what was not sent;
//   naive      asks a sentinel for the master, reconnects only after an error;
//   switcher   the naive client that also switches the moment `+switch-master` is published.
// Per round and writer it prints one TSV line:
//   kind  round  writer  acknowledged  lost  switch_to_first_write_ms
// where "lost" counts acknowledged numbers missing from the new master afterwards, and the last
// column is `+switch-master` (as the test's own subscriber heard it) to the first acknowledged write
// on the new master. scripts/bench-redis.sh runs it and writes the medians to docs/BENCHMARKS.md.
//
//   UCM_SANDBOX_EXE=build/release/tools/ucm/ucm build/release/bench/ucm_redis_failover_bench 10
#include "core/pg_uri.hpp"
#include "support/endpoint_list.hpp"
#include "support/redis_failover.hpp"

#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

using namespace ucm::test;
using ucm::Endpoint;

template <class Condition>
void wait_for(const char* what, Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!condition()) {
        if (Clock::now() >= deadline) throw std::runtime_error(std::string("timed out waiting: ") + what);
        std::this_thread::sleep_for(10ms);
    }
}

class Bench {
public:
    explicit Bench(const char* supervisor)
        : box_(ucm::sandbox::Sandbox::start({.postgres = true, .redis = true, .supervisor_exe = supervisor})),
          sentinels_(endpoint_list(box_.env().at("UCM_TEST_REDIS_SENTINELS"))),
          name_(box_.env().at("UCM_TEST_REDIS_MASTER_NAME")) {
        config_.manager.mode = ucm::ManagerMode::AsyncModern;
        config_.pool.acquire_timeout = 5s;
        ucm::detail::apply_pg_connection_string(box_.env().at("UCM_TEST_PG_PRIMARY"), config_.postgres, "bench");
        config_.redis = ucm::RedisOptions{
            .topology = ucm::RedisSentinel{.sentinels = sentinels_, .master_name = name_},
            .connect_timeout = 2s,
            .command_timeout = 3s};
        config_.health.probe_timeout = 1s;
    }
    ~Bench() { box_.stop(); }

    void round(const std::string& kind, int n) {
        const std::string master = settled_master();
        const std::string member = member_at(master);
        const std::string replica = address(member == "redis0" ? "redis1" : "redis0");
        config_.manager.id = fmt::format("bench-{}-{}", kind, n);
        ucm::UnifiedConnectionManager manager(config_);
        const std::string suffix = fmt::format("{}-{}", kind, n);
        FailoverClock clock(sentinels_);
        UcmWriter ucm_writer(manager, "ucm-" + suffix);
        NaiveWriter naive(sentinels_, name_, "naive-" + suffix);
        NaiveWriter switcher(sentinels_, name_, "switcher-" + suffix, true);
        wait_for("writes before the failover", [&] { return ucm_writer.acked_at(master, {}) > 200; }, 10s);

        if (kind == "failover") {
            wait_for("SENTINEL FAILOVER accepted", [&] {
                try {
                    box_.sentinel_failover();
                    return true;
                } catch (const std::exception&) {
                    return false;  // e.g. NOGOODSLAVE right after the previous round: try again
                }
            }, 30s);
        } else {
            box_.kill(member);
        }
        wait_for("+switch-master", [&] { return clock.switched().has_value(); }, 60s);
        const auto switched = *clock.switched();
        wait_for("ucm writing on the new master", [&] { return ucm_writer.acked_at(replica, switched) > 300; }, 30s);
        wait_for("the switcher on the new master",
                 [&] { return first_ack_at(switcher.acks(), replica, switched).has_value(); }, 30s);
        wait_for("the naive client on the new master",
                 [&] { return first_ack_at(naive.acks(), replica, switched).has_value(); }, 60s);
        ucm_writer.stop();
        naive.stop();
        switcher.stop();

        report(kind, n, "ucm", ucm_writer.acks(), replica, "ucm-" + suffix, switched);
        report(kind, n, "naive", naive.acks(), replica, "naive-" + suffix, switched);
        report(kind, n, "switcher", switcher.acks(), replica, "switcher-" + suffix, switched);
        std::fflush(stdout);
        if (kind == "kill") box_.start_member(member);
    }

private:
    [[nodiscard]] std::string address(const std::string& member) const {
        return "127.0.0.1:" + std::to_string(box_.port(member));
    }
    [[nodiscard]] std::string member_at(const std::string& where) const {
        for (const char* m : {"redis0", "redis1"}) {
            if (address(m) == where) return m;
        }
        throw std::runtime_error("no member at " + where);
    }
    // The master every sentinel names, with the other server replicating from it and the quorum
    // reachable: a failover started earlier is over.
    std::string settled_master() {
        std::string master;
        wait_for("a settled master and replica", [&] {
            std::optional<std::string> agreed;
            for (const auto& s : sentinels_) {
                try {
                    RawRedis sentinel(s.host, s.port, 500ms);
                    auto r = sentinel.command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name_});
                    if (r.elements.size() != 2) return false;
                    const std::string named = r.elements[0].str + ":" + r.elements[1].str;
                    if (agreed && *agreed != named) return false;
                    agreed = named;
                    if (sentinel.command({"SENTINEL", "CKQUORUM", name_}).is_error()) return false;
                } catch (const std::exception&) {
                    return false;
                }
            }
            const std::string other = address(member_at(*agreed) == "redis0" ? "redis1" : "redis0");
            if (role_of(*agreed) != "master" || role_of(other) != "slave") return false;
            try {
                const auto info = RawRedis::at(other, 500ms).command({"INFO", "replication"}).str;
                if (info.find("master_link_status:up") == std::string::npos) return false;
            } catch (const std::exception&) {
                return false;
            }
            master = *agreed;
            return true;
        }, 90s);
        return master;
    }
    static void report(const std::string& kind, int n, const char* writer, const std::vector<Ack>& acks,
                       const std::string& new_master, const std::string& key, Clock::time_point switched) {
        const auto missing = lost(acks, members(new_master, key));
        const auto first = first_ack_at(acks, new_master, switched);
        std::printf("%s\t%d\t%s\t%zu\t%zu\t%.3f\n", kind.c_str(), n, writer, acks.size(), missing.size(),
                    first ? ms_between(switched, first->acked) : -1.0);
    }

    ucm::sandbox::Sandbox box_;
    std::vector<Endpoint> sentinels_;
    std::string name_;
    ucm::Config config_;
};

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 10;
    const char* supervisor = std::getenv("UCM_SANDBOX_EXE");
    if (supervisor == nullptr || rounds < 1) {
        std::cerr << "usage: UCM_SANDBOX_EXE=path/to/ucm " << argv[0] << " [rounds per kind, default 10]\n";
        return 2;
    }
    try {
        Bench bench(supervisor);
        for (const char* kind : {"failover", "kill"}) {
            for (int n = 1; n <= rounds; ++n) {
                std::cerr << "==> " << kind << " " << n << "/" << rounds << "\n";
                bench.round(kind, n);
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "redis failover bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
