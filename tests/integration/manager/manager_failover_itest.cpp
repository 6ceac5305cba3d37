// PostgreSQL high availability against real servers: a stopped or lagging standby, a breaker that
// opens and closes, a killed primary under synchronous replication, a fenced primary (25006) and a
// split brain. Each test starts its own sandbox ("pg0" primary, "pg1" streaming standby) and hands
// the manager both, standby first: ucm must find the roles itself.
//
// The oracles count: which endpoint served each lease (and what the server says it is), which
// writes were acknowledged, reported failed or in doubt, and which rows the surviving server holds.
#include "support/manager_support.hpp"

#include <ucm/core/error.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <algorithm>
#include <csignal>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace ucm::test {
namespace {

sandbox::Sandbox start_pg_sandbox(bool sync_replication) {
    return sandbox::Sandbox::start(
        {.redis = false, .sync_replication = sync_replication, .supervisor_exe = cli_path()});
}

/// Both members of the sandbox, standby first, with short timings.
Config box_config(const sandbox::Sandbox& box, std::string_view prefix) {
    Config config = ha_config(box.pg_uri("pg0"), box.pg_uri("pg1"), ManagerMode::HighAvailability, prefix);
    config.pool.acquire_timeout = 10s;  // writers wait out a failover
    config.postgres.connect_timeout = 2s;
    config.health.probe_timeout = 2s;
    return config;
}

std::string port_of(const std::string& endpoint) { return endpoint.substr(endpoint.rfind(':') + 1); }

/// What one read lease saw: the endpoint ucm says it is on, and what the server says.
struct ReadSeen {
    std::string endpoint{};
    bool in_recovery = false;
    std::string server_port{};
};

ReadSeen read_once(UnifiedConnectionManager& manager) {
    auto conn = manager.connection(ConnectionMode::ReadOnly);
    const auto r = conn.execute("SELECT pg_is_in_recovery(), inet_server_port()");
    return {.endpoint = conn.endpoint(),
            .in_recovery = r[0].get<bool>(0),
            .server_port = std::to_string(r[0].get<std::int32_t>(1))};
}

/// A read that lands on `endpoint`, on a server in the expected recovery state; false on any error.
bool reads_from(UnifiedConnectionManager& manager, const std::string& endpoint, bool in_recovery) {
    try {
        const auto seen = read_once(manager);
        return seen.endpoint == endpoint && seen.in_recovery == in_recovery &&
               seen.server_port == port_of(endpoint);
    } catch (const Error&) {
        return false;
    }
}

bool has_reason(const HealthReport& report, std::string_view text) {
    return std::any_of(report.reasons.begin(), report.reasons.end(),
                       [&](const std::string& r) { return r.find(text) != std::string::npos; });
}

// ---- concurrent writers with client-side ids ---------------------------------------------------

constexpr const char* kCreateRows = "CREATE TABLE ha_rows(id bigint PRIMARY KEY)";

enum class Outcome { acked, failed, in_doubt, unexpected };

struct WriteRecord {
    std::int64_t id = 0;
    Outcome outcome = Outcome::failed;
    std::string endpoint{};         ///< of the lease that ran the INSERT; empty if none was granted
    std::optional<Errc> code{};     ///< of the error
    std::string sqlstate{};
    std::string message{};
    bool after_mark = false;        ///< the mark was set before this attempt began
};

/// Writer threads inserting ids nobody else uses, each attempt recorded with its outcome. Even
/// threads use manager.connection(ReadWrite).execute (autocommit), odd ones run_transaction when
/// `transactions`. `marks(record)` sets the mark once it returns true for a finished attempt;
/// attempts that begin afterwards are flagged `after_mark`.
class Writers {
public:
    using Marks = std::function<bool(const WriteRecord&)>;

    Writers(UnifiedConnectionManager& manager, int threads, bool transactions, Marks marks)
        : manager_(manager), marks_(std::move(marks)) {
        for (int t = 0; t < threads; ++t) {
            threads_.emplace_back([this, t, transactions] { run(t, transactions && t % 2 == 1); });
        }
    }
    Writers(const Writers&) = delete;
    Writers& operator=(const Writers&) = delete;
    ~Writers() { stop(); }

    void stop() {
        stop_.store(true);
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }
    [[nodiscard]] bool marked() const { return mark_.load(); }
    [[nodiscard]] std::size_t acked_on(const std::string& endpoint) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(records_.begin(), records_.end(), [&](const WriteRecord& r) {
            return r.outcome == Outcome::acked && r.endpoint == endpoint;
        }));
    }
    [[nodiscard]] std::vector<WriteRecord> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }

private:
    void run(int thread, bool transaction) {
        for (std::int64_t seq = 1; !stop_.load(); ++seq) {
            WriteRecord r{.id = static_cast<std::int64_t>(thread) * 100'000'000 + seq, .after_mark = mark_.load()};
            try {
                if (transaction) {
                    manager_.run_transaction([&](pg::Session& tx) {
                        r.endpoint = tx.connection().endpoint();
                        tx.execute("INSERT INTO ha_rows(id) VALUES ($1)", r.id);
                    });
                } else {
                    auto conn = manager_.connection(ConnectionMode::ReadWrite);
                    r.endpoint = conn.endpoint();
                    conn.execute("INSERT INTO ha_rows(id) VALUES ($1)", r.id);
                }
                r.outcome = Outcome::acked;
            } catch (const InDoubt& e) {
                r.outcome = Outcome::in_doubt;
                note(r, e);
            } catch (const Error& e) {
                r.outcome = Outcome::failed;
                note(r, e);
            } catch (const std::exception& e) {
                r.outcome = Outcome::unexpected;
                r.message = e.what();
            }
            const bool ok = r.outcome == Outcome::acked;
            {
                std::lock_guard lock(mutex_);
                if (marks_ && marks_(r)) mark_.store(true);
                records_.push_back(std::move(r));
            }
            if (!ok) std::this_thread::sleep_for(1ms);
        }
    }
    static void note(WriteRecord& r, const Error& e) {
        r.code = e.code();
        r.sqlstate = e.sqlstate();
        r.message = e.what();
    }

    UnifiedConnectionManager& manager_;
    Marks marks_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> mark_{false};
    mutable std::mutex mutex_;
    std::vector<WriteRecord> records_;
    std::vector<std::thread> threads_;
};

struct Tally {
    std::map<std::string, std::size_t> acked_by;  // endpoint -> acknowledged writes
    std::size_t failed = 0;
    std::size_t in_doubt = 0;
    std::size_t unexpected = 0;
    std::map<std::string, std::size_t> failures;  // error code -> count

    [[nodiscard]] std::string str() const {
        std::ostringstream out;
        out << "acked:";
        for (const auto& [e, n] : acked_by) out << " " << e << "=" << n;
        out << "; failed " << failed << " (";
        for (const auto& [c, n] : failures) out << c << "=" << n << " ";
        out << "); in doubt " << in_doubt << "; unexpected " << unexpected;
        return out.str();
    }
};

Tally tally(const std::vector<WriteRecord>& records) {
    Tally t;
    for (const auto& r : records) {
        switch (r.outcome) {
            case Outcome::acked: ++t.acked_by[r.endpoint]; break;
            case Outcome::failed:
                ++t.failed;
                ++t.failures[r.code ? to_string(*r.code) : "?"];
                break;
            case Outcome::in_doubt: ++t.in_doubt; break;
            case Outcome::unexpected: ++t.unexpected; break;
        }
    }
    return t;
}

/// The ids in ha_rows on a server, and whether every row's id is distinct.
struct Rows {
    std::set<std::int64_t> ids;
    std::int64_t count = 0;
};

Rows rows_on(AdminConnection& admin) {
    Rows rows;
    for (auto row : admin.exec("SELECT id FROM ha_rows")) rows.ids.insert(row.get<std::int64_t>(0));
    rows.count = admin.exec("SELECT count(*) FROM ha_rows")[0].get<std::int64_t>(0);
    return rows;
}

/// On the server that holds `rows`: every acknowledged write (of `acked_by`, or all when empty) is
/// there, no write reported failed is, no id is there twice, and nothing is there that no attempt
/// could have written.
void expect_consistent(const std::vector<WriteRecord>& records, const Rows& rows, const std::string& acked_by = {}) {
    EXPECT_EQ(rows.count, static_cast<std::int64_t>(rows.ids.size())) << "an id is in ha_rows twice";
    std::set<std::int64_t> attempted_not_failed;
    std::size_t lost = 0;
    std::size_t failed_present = 0;
    for (const auto& r : records) {
        const bool present = rows.ids.contains(r.id);
        if (r.outcome == Outcome::acked && (acked_by.empty() || r.endpoint == acked_by) && !present) {
            if (++lost <= 5) ADD_FAILURE() << "acknowledged write " << r.id << " (by " << r.endpoint << ") is missing";
        }
        if (r.outcome == Outcome::failed && present) {
            if (++failed_present <= 5) {
                ADD_FAILURE() << "write " << r.id << " was reported failed (" << r.message << ") but is there";
            }
        }
        if (r.outcome != Outcome::failed) attempted_not_failed.insert(r.id);
    }
    EXPECT_EQ(lost, 0U) << "acknowledged writes lost";
    EXPECT_EQ(failed_present, 0U) << "writes reported failed that were applied";
    std::size_t strays = 0;
    for (std::int64_t id : rows.ids) {
        if (id >= 0 && !attempted_not_failed.contains(id)) ++strays;
    }
    EXPECT_EQ(strays, 0U) << "rows no acknowledged or in-doubt attempt wrote";
}

/// Waits until `standby` has replayed everything `primary` has written so far.
bool caught_up(AdminConnection& primary, AdminConnection& standby) {
    const auto lsn = primary.exec("SELECT pg_current_wal_lsn()::text")[0].get<std::string>(0);
    return eventually([&] {
        return standby.exec("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", pg::params(lsn))[0].get<bool>(0);
    });
}

// ---- 1. a stopped standby: reads fall back to the primary, and come back -----------------------

TEST(FailoverDestructive, StoppedStandbySendsReadsToThePrimaryAndTheyReturnWhenItIsBack) {
    auto box = start_pg_sandbox(false);
    const auto primary = endpoint_of_uri(box.pg_uri("pg0"));
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    UnifiedConnectionManager manager(box_config(box, "fallback"));
    ASSERT_TRUE(reads_from(manager, standby, true)) << "reads start on the standby";

    box.stop_member("pg1");
    // No waiting: a read right after the stop finds the dead standby itself and falls back.
    for (int i = 0; i < 20; ++i) {
        const auto seen = read_once(manager);  // any error fails the test
        EXPECT_EQ(seen.endpoint, primary) << "read " << i;
        EXPECT_FALSE(seen.in_recovery) << "read " << i;
        EXPECT_EQ(seen.server_port, port_of(primary)) << "read " << i;
    }
    const auto report = manager.health_check();
    EXPECT_FALSE(endpoint_of(report.endpoints, standby).reachable) << report.to_json();
    EXPECT_TRUE(endpoint_of(report.endpoints, primary).write_target) << report.to_json();
    EXPECT_EQ(report.status, HealthStatus::Degraded) << report.to_json();

    box.start_member("pg1");
    EXPECT_TRUE(eventually([&] { return reads_from(manager, standby, true); }, 15s))
        << "reads did not return to the restarted standby: " << manager.health_check().to_json();
    EXPECT_TRUE(eventually([&] { return manager.health_check().status == HealthStatus::Healthy; }))
        << manager.health_check().to_json();
}

// ---- 2. fallback forbidden: connect failures open the standby's breaker, then CircuitOpen -------

TEST(FailoverDestructive, ForbiddenFallbackFailsReadsUntilTheBreakerOpensThenCircuitOpenWithoutConnecting) {
    auto box = start_pg_sandbox(false);
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    auto config = box_config(box, "forbid");
    config.postgres.read_only_fallback = ReadOnlyFallback::Forbid;
    // No periodic rounds: the standby is probed only on the events these reads cause, so its
    // breaker cannot open before the first read finds the standby gone.
    config.postgres.topology_refresh = 30s;
    config.pool.acquire_timeout = 2s;
    config.breaker.window_size = 4;
    config.breaker.minimum_calls = 2;
    config.breaker.failure_rate_threshold = 0.5;
    config.breaker.open_wait = 5s;
    config.breaker.max_open_wait = 30s;
    UnifiedConnectionManager manager(config);
    ASSERT_TRUE(reads_from(manager, standby, true));
    const auto attempts_while_up = endpoint_of(manager.connection_info().endpoints, standby).connect_attempts;

    box.stop_member("pg1");
    int connection_failed = 0;
    std::optional<std::string> open_message;
    for (int i = 0; i < 50 && !open_message; ++i) {
        try {
            (void)manager.connection(ConnectionMode::ReadOnly);
            ADD_FAILURE() << "a read was granted with the standby stopped and fallback forbidden";
        } catch (const CircuitOpen& e) {
            EXPECT_EQ(e.code(), Errc::circuit_open);
            open_message = e.what();
        } catch (const ConnectionFailed& e) {
            EXPECT_TRUE(e.retriable()) << e.what();
            ++connection_failed;
        }
    }
    ASSERT_TRUE(open_message) << "the standby's breaker never opened";
    // Each failed read made one connect attempt, counted by the breaker (so does the probe it
    // triggers): with minimum_calls 2 at most two reads can fail before it opens.
    EXPECT_GE(connection_failed, 1);
    EXPECT_LE(connection_failed, 2);
    EXPECT_NE(open_message->find(standby), std::string::npos) << *open_message;

    const auto before = endpoint_of(manager.connection_info().endpoints, standby);
    ASSERT_EQ(before.breaker, "open");
    EXPECT_GT(before.connect_attempts, attempts_while_up) << "the failed connects were not counted";
    ASSERT_TRUE(before.breaker_retry_in.has_value());
    ASSERT_GT(*before.breaker_retry_in, 2s) << "too little of the open window is left for the burst";
    int circuit_open = 0;
    for (int i = 0; i < 200; ++i) {
        if (i % 25 == 0) {
            // Probe rounds go through the breaker as well: no probe of the standby either.
            const auto report = manager.health_check();
            EXPECT_EQ(endpoint_of(report.endpoints, standby).breaker, "open") << report.to_json();
            EXPECT_FALSE(endpoint_of(report.endpoints, standby).reachable) << report.to_json();
        }
        try {
            (void)manager.connection(ConnectionMode::ReadOnly);
        } catch (const CircuitOpen&) {
            ++circuit_open;
        } catch (const Error& e) {
            ADD_FAILURE() << "read " << i << " inside the open window: " << e.what();
        }
    }
    EXPECT_EQ(circuit_open, 200);
    const auto after = endpoint_of(manager.connection_info().endpoints, standby);
    EXPECT_EQ(after.breaker, "open");
    EXPECT_EQ(after.connect_attempts, before.connect_attempts)
        << "reads or probes connected to the standby through its open breaker";
    // Writes are not affected by the standby's breaker.
    EXPECT_EQ(manager.connection(ConnectionMode::ReadWrite).execute("SELECT 1")[0].get<std::int32_t>(0), 1);
}

// ---- 3. a standby whose replay is paused falls behind the byte limit ---------------------------

TEST(FailoverDestructive, ReadsLeaveAStandbyPastTheByteLagLimitAndReturnWhenReplayResumes) {
    auto box = start_pg_sandbox(false);
    const auto primary = endpoint_of_uri(box.pg_uri("pg0"));
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    auto config = box_config(box, "lag");
    constexpr std::uint64_t kMaxLagBytes = 64 * 1024;
    config.postgres.max_replication_lag_bytes = kMaxLagBytes;
    UnifiedConnectionManager manager(config);
    AdminConnection admin0(box.pg_uri("pg0"));
    AdminConnection admin1(box.pg_uri("pg1"));
    admin0.exec("CREATE TABLE bulk(id int, pad text)");
    ASSERT_TRUE(caught_up(admin0, admin1));
    ASSERT_TRUE(reads_from(manager, standby, true));

    admin1.exec("SELECT pg_wal_replay_pause()");
    admin0.exec("INSERT INTO bulk SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");  // ~5 MB of WAL
    ASSERT_TRUE(eventually([&] { return reads_from(manager, primary, false); }))
        << "reads stayed on the lagging standby: " << manager.health_check().to_json();
    const auto report = manager.health_check();
    const auto& s = endpoint_of(report.endpoints, standby);
    ASSERT_TRUE(s.lag_bytes.has_value()) << report.to_json();
    EXPECT_GT(*s.lag_bytes, kMaxLagBytes) << report.to_json();
    EXPECT_TRUE(s.reachable);
    EXPECT_EQ(report.status, HealthStatus::Degraded) << report.to_json();
    EXPECT_TRUE(has_reason(report, "lag limit")) << report.to_json();

    // While replay stays paused, no read goes to the standby, across more than one probe round.
    const auto until = std::chrono::steady_clock::now() + 2 * config.postgres.topology_refresh + 200ms;
    int reads = 0;
    int on_standby = 0;
    while (std::chrono::steady_clock::now() < until) {
        const auto seen = read_once(manager);
        ++reads;
        if (seen.endpoint != primary || seen.in_recovery) ++on_standby;
    }
    EXPECT_EQ(on_standby, 0) << "of " << reads << " reads";
    ASSERT_TRUE(admin1.exec("SELECT pg_is_wal_replay_paused()")[0].get<bool>(0));
    EXPECT_EQ(admin1.exec("SELECT count(*) FROM bulk")[0].get<std::int64_t>(0), 0) << "replay was not paused";

    admin1.exec("SELECT pg_wal_replay_resume()");
    EXPECT_TRUE(eventually([&] {
        try {
            auto conn = manager.connection(ConnectionMode::ReadOnly);
            return conn.endpoint() == standby &&
                   conn.execute("SELECT count(*) FROM bulk")[0].get<std::int64_t>(0) == 20000;
        } catch (const Error&) {
            return false;
        }
    })) << "reads did not return to the standby: " << manager.health_check().to_json();
}

// ---- 4. kill -9 of the primary under synchronous replication, promotion, no acknowledged loss ----

TEST(FailoverDestructive, KilledPrimaryUnderSyncReplicationLosesNoAcknowledgedWriteAndWritesMoveToThePromoted) {
    auto box = start_pg_sandbox(true);
    const auto primary = endpoint_of_uri(box.pg_uri("pg0"));
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    {
        AdminConnection admin0(box.pg_uri("pg0"));
        admin0.exec(kCreateRows);
    }
    AdminConnection admin1(box.pg_uri("pg1"));
    UnifiedConnectionManager manager(box_config(box, "failover"));
    Writers writers(manager, 8, true, {});
    ASSERT_TRUE(eventually([&] { return writers.acked_on(primary) >= 200; }, 15s)) << tally(writers.records()).str();

    box.kill("pg0", SIGKILL);
    // Promote once the standby noticed (gotcha 4): its WAL receiver is gone.
    (void)eventually(
        [&] { return admin1.exec("SELECT count(*) FROM pg_stat_wal_receiver")[0].get<std::int64_t>(0) == 0; }, 3s);
    box.promote("pg1");
    const auto acked_before = writers.acked_on(standby);
    EXPECT_TRUE(eventually([&] { return writers.acked_on(standby) >= acked_before + 200; }, 20s))
        << "writes did not resume on the promoted standby: " << tally(writers.records()).str() << " "
        << manager.health_check().to_json();
    writers.stop();

    const auto records = writers.records();
    auto t = tally(records);
    std::cout << "[ failover ] " << t.str() << "\n";
    EXPECT_EQ(t.unexpected, 0U);
    EXPECT_GE(t.acked_by[primary], 200U);
    EXPECT_GE(t.acked_by[standby], 200U);
    const auto report = manager.health_check();
    EXPECT_TRUE(endpoint_of(report.endpoints, standby).write_target) << report.to_json();
    EXPECT_EQ(endpoint_of(report.endpoints, standby).role, "primary") << report.to_json();
    EXPECT_FALSE(endpoint_of(report.endpoints, primary).reachable) << report.to_json();
    // Every acknowledged write, on either server, is on the survivor; no failed one is.
    expect_consistent(records, rows_on(admin1));
}

// ---- 5. a primary fenced read-only: the first 25006 moves writes away --------------------------

TEST(FailoverDestructive, FirstReadOnlyViolationOnAFencedPrimaryStopsWritesThereAndThePromotedTakesThem) {
    auto box = start_pg_sandbox(false);
    const auto primary = endpoint_of_uri(box.pg_uri("pg0"));
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    AdminConnection admin0(box.pg_uri("pg0"));
    AdminConnection admin1(box.pg_uri("pg1"));
    admin0.exec(kCreateRows);
    UnifiedConnectionManager manager(box_config(box, "fence"));
    constexpr int kThreads = 4;
    Writers writers(manager, kThreads, false,
                    [](const WriteRecord& r) { return r.code == Errc::read_only_violation; });
    ASSERT_TRUE(eventually([&] { return writers.acked_on(primary) >= 100; }, 15s)) << tally(writers.records()).str();

    admin0.exec("ALTER SYSTEM SET default_transaction_read_only = on");
    admin0.exec("SELECT pg_reload_conf()");
    ASSERT_TRUE(eventually([&] { return writers.marked(); })) << "no write was refused with 25006 by the fenced primary";
    ASSERT_TRUE(caught_up(admin0, admin1));
    box.promote("pg1");
    EXPECT_TRUE(eventually([&] { return writers.acked_on(standby) >= 100; }, 15s))
        << "writes did not move to the promoted standby: " << tally(writers.records()).str() << " "
        << manager.health_check().to_json();
    writers.stop();

    const auto records = writers.records();
    const auto t = tally(records);
    std::cout << "[ fence ] " << t.str() << "\n";
    EXPECT_EQ(t.unexpected, 0U);
    std::size_t leased_after = 0;
    std::size_t acked_after = 0;
    std::size_t violations = 0;
    for (const auto& r : records) {
        if (r.code == Errc::read_only_violation) ++violations;
        if (!r.after_mark || r.endpoint != primary) continue;
        ++leased_after;
        if (r.outcome == Outcome::acked) ++acked_after;
        if (leased_after <= 5) ADD_FAILURE() << "write " << r.id << " went to the fenced primary: " << r.message;
    }
    EXPECT_EQ(acked_after, 0U) << "writes acknowledged by the fenced primary after its first 25006";
    EXPECT_EQ(leased_after, 0U) << "writes sent to the fenced primary after its first 25006";
    // Only attempts already under way when the fence came can have met it: one per thread at most.
    EXPECT_GE(violations, 1U);
    EXPECT_LE(violations, static_cast<std::size_t>(kThreads));
    const auto report = manager.health_check();
    EXPECT_TRUE(endpoint_of(report.endpoints, standby).write_target) << report.to_json();
    EXPECT_FALSE(endpoint_of(report.endpoints, primary).writable) << report.to_json();
    EXPECT_FALSE(has_reason(report, "split brain")) << report.to_json();
    expect_consistent(records, rows_on(admin1));
}

// ---- 6. split brain: both accept writes, only the higher timeline gets them --------------------

TEST(FailoverDestructive, SplitBrainSendsWritesOnlyToTheHigherTimelineAndIsReportedDegraded) {
    auto box = start_pg_sandbox(false);
    const auto primary = endpoint_of_uri(box.pg_uri("pg0"));
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    AdminConnection admin0(box.pg_uri("pg0"));
    admin0.exec(kCreateRows);
    UnifiedConnectionManager manager(box_config(box, "split"));
    auto old_lease = manager.connection(ConnectionMode::ReadWrite);
    ASSERT_EQ(old_lease.endpoint(), primary);
    ASSERT_EQ(old_lease.execute("SELECT 1")[0].get<std::int32_t>(0), 1);
    Writers writers(manager, 4, true,
                    [&](const WriteRecord& r) { return r.outcome == Outcome::acked && r.endpoint == standby; });
    ASSERT_TRUE(eventually([&] { return writers.acked_on(primary) >= 50; }, 15s)) << tally(writers.records()).str();

    box.promote("pg1");  // pg0 keeps running and accepting writes
    ASSERT_TRUE(eventually([&] { return writers.acked_on(standby) >= 100; }, 15s))
        << "writes did not move to the promoted standby: " << tally(writers.records()).str() << " "
        << manager.health_check().to_json();
    const auto report = manager.health_check();
    EXPECT_EQ(report.status, HealthStatus::Degraded) << report.to_json();
    EXPECT_TRUE(has_reason(report, "split brain")) << report.to_json();
    const auto& p = endpoint_of(report.endpoints, primary);
    const auto& s = endpoint_of(report.endpoints, standby);
    EXPECT_TRUE(p.reachable && p.writable && p.role == "primary") << report.to_json();
    EXPECT_TRUE(s.reachable && s.writable && s.role == "primary") << report.to_json();
    EXPECT_GT(s.timeline, p.timeline) << report.to_json();
    EXPECT_TRUE(s.write_target) << report.to_json();
    EXPECT_FALSE(p.write_target) << report.to_json();

    // A lease taken on pg0 before the promotion refuses to send: its endpoint changed role.
    try {
        old_lease.execute("INSERT INTO ha_rows(id) VALUES ($1)", std::int64_t{-1});
        ADD_FAILURE() << "a lease of the lower timeline wrote after the split brain was seen";
    } catch (const ConnectionFailed& e) {
        EXPECT_TRUE(e.retriable()) << e.what();
    }
    old_lease.release();
    writers.stop();

    const auto records = writers.records();
    const auto t = tally(records);
    std::cout << "[ split ] " << t.str() << "\n";
    EXPECT_EQ(t.unexpected, 0U);
    std::size_t to_lower_after = 0;
    for (const auto& r : records) {
        if (r.after_mark && r.endpoint == primary && ++to_lower_after <= 5) {
            ADD_FAILURE() << "write " << r.id << " went to the lower timeline after one was acknowledged by the "
                          << "higher: " << (r.outcome == Outcome::acked ? "acknowledged" : r.message);
        }
    }
    EXPECT_EQ(to_lower_after, 0U);
    AdminConnection admin1(box.pg_uri("pg1"));
    const Rows on0 = rows_on(admin0);
    const Rows on1 = rows_on(admin1);
    expect_consistent(records, on0, primary);
    expect_consistent(records, on1, standby);
    EXPECT_FALSE(on0.ids.contains(-1)) << "the stale lease's INSERT reached pg0";
    std::size_t higher_on_lower = 0;
    for (const auto& r : records) {
        if (r.outcome == Outcome::acked && r.endpoint == standby && on0.ids.contains(r.id)) ++higher_on_lower;
    }
    EXPECT_EQ(higher_on_lower, 0U) << "the diverged servers share writes made after the promotion";
}

// ---- 7. a stopped endpoint's breaker opens, and a half-open probe closes it --------------------

TEST(FailoverDestructive, StoppedStandbysBreakerOpensAndHalfOpenProbesCloseItWhenItIsBack) {
    auto box = start_pg_sandbox(false);
    const auto standby = endpoint_of_uri(box.pg_uri("pg1"));
    auto config = box_config(box, "half-open");
    config.postgres.read_only_fallback = ReadOnlyFallback::Forbid;
    config.pool.acquire_timeout = 2s;
    config.breaker.window_size = 4;
    config.breaker.minimum_calls = 2;
    config.breaker.open_wait = 1s;
    config.breaker.open_wait_multiplier = 1.0;
    config.breaker.half_open_calls = 2;
    UnifiedConnectionManager manager(config);
    ASSERT_TRUE(reads_from(manager, standby, true));
    const auto generation = endpoint_of(manager.connection_info().endpoints, standby).generation;

    box.stop_member("pg1");
    ASSERT_TRUE(eventually([&] {
        try {
            (void)manager.connection(ConnectionMode::ReadOnly);
        } catch (const Error&) {
        }
        return endpoint_of(manager.connection_info().endpoints, standby).breaker == "open";
    })) << manager.health_check().to_json();
    EXPECT_THROW((void)manager.connection(ConnectionMode::ReadOnly), CircuitOpen);
    // The breaker stays shut while the standby is down: half-open trials fail and reopen it.
    std::this_thread::sleep_for(config.breaker.open_wait * 2);
    EXPECT_NE(endpoint_of(manager.connection_info().endpoints, standby).breaker, "closed");
    EXPECT_THROW((void)manager.connection(ConnectionMode::ReadOnly), CircuitOpen);

    box.start_member("pg1");
    ASSERT_TRUE(eventually([&] { return endpoint_of(manager.connection_info().endpoints, standby).breaker == "closed"; },
                           15s))
        << manager.health_check().to_json();
    const auto info = endpoint_of(manager.connection_info().endpoints, standby);
    EXPECT_TRUE(info.reachable);
    // Closed by its trials, not by a role change's reset.
    EXPECT_EQ(info.generation, generation);
    const auto seen = read_once(manager);
    EXPECT_EQ(seen.endpoint, standby);
    EXPECT_TRUE(seen.in_recovery);
    EXPECT_EQ(seen.server_port, port_of(standby));
}

}  // namespace
}  // namespace ucm::test
