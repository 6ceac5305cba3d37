// `ucm demo`: the failover demo. Starts a private sandbox (PostgreSQL primary pg0 + synchronous
// standby pg1), gives ucm both hosts (it finds the roles itself), runs writers and readers through
// the manager, kills the primary with SIGKILL a third of the way in, promotes the standby, and
// prints one line per second. Afterwards it reads every id back from the new primary and checks
// that no acknowledged write was lost and no write reported as failed was applied.
#include "commands/commands.hpp"

#include <ucm/core/config.hpp>
#include <ucm/core/deadline.hpp>
#include <ucm/core/error.hpp>
#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace ucm::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct DemoArgs {
    double seconds = 12.0;
    int writers = 4;
    int readers = 2;
    int think_ms = 2;
    bool no_failover = false;
};

// ---------------------------------------------------------------------------------------------
// A direct libpq connection, outside ucm, for the checks the demo makes of the servers themselves:
// timestamping the end of the promotion and reading the ids back. Driven without blocking, every
// call bounded by a deadline (a stalled server must not hang the demo, ENVIRONMENT gotcha 10).
class DirectPg {
  public:
    DirectPg(int port, Deadline deadline) : port_(port) {
        const std::string conninfo = fmt::format(
            "host=127.0.0.1 port={} user=postgres dbname=postgres application_name=ucm-demo-check", port);
        conn_.reset(PQconnectStart(conninfo.c_str()));
        if (!conn_ || PQstatus(conn_.get()) == CONNECTION_BAD) fail("connect");
        PQsetNoticeReceiver(
            conn_.get(), [](void*, const PGresult*) {}, nullptr);
        PostgresPollingStatusType st = PGRES_POLLING_WRITING;
        while (st != PGRES_POLLING_OK) {
            if (st == PGRES_POLLING_FAILED) fail("connect");
            wait_socket(st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, "connect");
            st = PQconnectPoll(conn_.get());
        }
    }

    // The first column of every row of the last result of `sql` (NULL as "").
    std::vector<std::string> column0(const std::string& sql, Deadline deadline) {
        PGconn* c = conn_.get();
        if (PQsendQuery(c, sql.c_str()) == 0) fail(sql);
        int flushed = 0;
        while ((flushed = PQflush(c)) == 1) wait_socket(POLLOUT, deadline, sql);
        if (flushed < 0) fail(sql);
        std::vector<std::string> out;
        std::string error;
        for (;;) {
            while (PQisBusy(c) != 0) {
                wait_socket(POLLIN, deadline, sql);
                if (PQconsumeInput(c) == 0) fail(sql);
            }
            std::unique_ptr<PGresult, decltype(&PQclear)> res(PQgetResult(c), &PQclear);
            if (!res) break;
            if (PQresultStatus(res.get()) == PGRES_TUPLES_OK) {
                out.clear();
                const int rows = PQntuples(res.get());
                out.reserve(static_cast<std::size_t>(rows));
                for (int r = 0; r < rows; ++r) out.emplace_back(PQgetvalue(res.get(), r, 0));
            } else if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
                error = PQresultErrorMessage(res.get());
            }
        }
        if (!error.empty()) throw std::runtime_error(fmt::format("{} on :{}: {}", sql, port_, trim(error)));
        return out;
    }

  private:
    struct Closer {
        void operator()(PGconn* c) const { PQfinish(c); }
    };

    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s;
    }

    [[noreturn]] void fail(const std::string& what) const {
        // No password is used here, so libpq's message cannot contain one.
        throw std::runtime_error(fmt::format("{} on :{}: {}", what, port_,
                                             conn_ ? trim(PQerrorMessage(conn_.get())) : "out of memory"));
    }

    void wait_socket(short events, Deadline deadline, const std::string& what) const {
        for (;;) {
            const auto left = std::chrono::ceil<milliseconds>(remaining(deadline)).count();
            if (left <= 0) throw std::runtime_error(fmt::format("{} on :{}: deadline passed", what, port_));
            pollfd pfd{.fd = PQsocket(conn_.get()), .events = events, .revents = 0};
            const int n = ::poll(&pfd, 1, static_cast<int>(std::min<std::int64_t>(left, 1'000)));
            if (n > 0) return;
            if (n < 0 && errno != EINTR) fail(what);
        }
    }

    int port_;
    std::unique_ptr<PGconn, Closer> conn_;
};

// ---------------------------------------------------------------------------------------------
// What the workload threads record.

enum class Outcome : std::uint8_t { Ok, InDoubt, Failed };

struct WriteRecord {
    std::int64_t id = 0;
    Outcome outcome = Outcome::Ok;
    Clock::time_point end{};
};

struct Second {  // operations that completed within one second of the run
    std::vector<std::int64_t> write_ok_us, read_ok_us;
    std::uint64_t write_doubt = 0, write_failed = 0, read_failed = 0;
};

struct ErrorTally {
    std::uint64_t count = 0;
    std::string example{};
};

class Stats {
  public:
    explicit Stats(Clock::time_point t0) : t0_(t0) {}

    void write(Outcome outcome, Clock::duration latency) { add(true, outcome, latency); }
    void read(bool ok, Clock::duration latency) { add(false, ok ? Outcome::Ok : Outcome::Failed, latency); }

    void error(bool is_write, const std::string& code, const std::string& message) {
        const std::lock_guard lock(mutex_);
        auto& tally = (is_write ? write_errors_ : read_errors_)[code];
        if (tally.count++ == 0) tally.example = message;
    }

    Second take(std::size_t second) {
        const std::lock_guard lock(mutex_);
        if (second >= seconds_.size()) return {};
        return std::move(seconds_[second]);
    }

    std::size_t seconds_recorded() {
        const std::lock_guard lock(mutex_);
        return seconds_.size();
    }

    std::map<std::string, ErrorTally> write_errors() {
        const std::lock_guard lock(mutex_);
        return write_errors_;
    }
    std::map<std::string, ErrorTally> read_errors() {
        const std::lock_guard lock(mutex_);
        return read_errors_;
    }

  private:
    void add(bool is_write, Outcome outcome, Clock::duration latency) {
        const std::lock_guard lock(mutex_);
        // The second is taken under the lock, so once the printer holds the lock after the end of
        // second k, nothing more can land in second k.
        const auto second = static_cast<std::size_t>((Clock::now() - t0_) / std::chrono::seconds{1});
        if (seconds_.size() <= second) seconds_.resize(second + 1);
        Second& s = seconds_[second];
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
        if (is_write) {
            if (outcome == Outcome::Ok) s.write_ok_us.push_back(us);
            if (outcome == Outcome::InDoubt) ++s.write_doubt;
            if (outcome == Outcome::Failed) ++s.write_failed;
        } else {
            if (outcome == Outcome::Ok) s.read_ok_us.push_back(us);
            if (outcome == Outcome::Failed) ++s.read_failed;
        }
    }

    Clock::time_point t0_;
    std::mutex mutex_;
    std::vector<Second> seconds_;
    std::map<std::string, ErrorTally> write_errors_, read_errors_;
};

// ---------------------------------------------------------------------------------------------
// Formatting.

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// "p50/p99/max" in milliseconds.
std::string percentiles(std::vector<std::int64_t>& us) {
    if (us.empty()) return "-";
    std::sort(us.begin(), us.end());
    auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(q * static_cast<double>(us.size() - 1) + 0.5);
        return static_cast<double>(us[std::min(i, us.size() - 1)]) / 1000.0;
    };
    const double max = at(1.0);
    return max < 100.0 ? fmt::format("{:.1f}/{:.1f}/{:.1f}", at(0.50), at(0.99), max)
                       : fmt::format("{:.1f}/{:.1f}/{:.0f}", at(0.50), at(0.99), max);
}

std::string shorten(std::string s, std::size_t max = 160) {
    if (s.size() > max) s = s.substr(0, max - 3) + "...";
    return s;
}

class Printer {
  public:
    template <class... Args>
    void line(fmt::format_string<Args...> format, Args&&... args) {
        const std::lock_guard lock(mutex_);
        fmt::print(format, std::forward<Args>(args)...);
        std::fflush(stdout);
    }

  private:
    std::mutex mutex_;
};

// ---------------------------------------------------------------------------------------------

struct Members {
    int pg0 = 0, pg1 = 0;
    std::string name_of(const std::string& endpoint) const {
        if (endpoint == fmt::format("127.0.0.1:{}", pg0)) return "pg0";
        if (endpoint == fmt::format("127.0.0.1:{}", pg1)) return "pg1";
        return endpoint;
    }
};

ucm::Config demo_config(const Members& m) {
    ucm::Config config;
    config.manager.mode = ucm::ManagerMode::McpServer;
    config.manager.id = "demo";
    // Both hosts, the standby first: ucm finds which one is the primary.
    config.postgres.hosts = {{.host = "127.0.0.1", .port = static_cast<std::uint16_t>(m.pg1)},
                             {.host = "127.0.0.1", .port = static_cast<std::uint16_t>(m.pg0)}};
    config.postgres.user = "postgres";
    config.postgres.dbname = "postgres";
    return config;
}

struct StatusNow {
    std::string primary;
    std::string breakers;
};

StatusNow status_now(const UnifiedConnectionManager& manager, const Members& m) {
    StatusNow out{.primary = "none", .breakers = {}};
    for (const auto& e : manager.connection_info().endpoints) {
        if (e.write_target) out.primary = m.name_of(e.endpoint);
        if (!out.breakers.empty()) out.breakers += " ";
        out.breakers += m.name_of(e.endpoint) + ":" + e.breaker;
    }
    return out;
}

void print_second(Printer& out, const std::string& label, Second s, const StatusNow& now) {
    out.line("{:>5} {:>6} {:>5} {:>4} {:>15}  {:>6} {:>4} {:>15}  {:<7} {}\n", label, s.write_ok_us.size(),
             s.write_doubt, s.write_failed, percentiles(s.write_ok_us), s.read_ok_us.size(), s.read_failed,
             percentiles(s.read_ok_us), now.primary, now.breakers);
}

// The failover, on its own thread so the per-second lines keep coming: kill -9 the primary, wait,
// promote the standby without waiting in pg_ctl, and poll pg_is_in_recovery() every 5 ms on a
// connection opened beforehand, to timestamp the moment the promotion finished (gotcha 4).
struct Failover {
    std::optional<Clock::time_point> killed, promote_sent, promoted;
    std::string error;
};

void run_failover(sandbox::Sandbox& box, const Members& m, Clock::time_point t0, Clock::time_point at,
                  const std::atomic<bool>& stop, Printer& out, Failover& f) {
    try {
        DirectPg pg1(m.pg1, deadline_after(std::chrono::seconds{10}));
        std::this_thread::sleep_until(at);
        if (stop.load()) return;
        box.kill("pg0", SIGKILL);
        f.killed = Clock::now();
        out.line("{:>7.3f}s  kill -9 pg0 (the primary)\n", secs(*f.killed - t0));
        std::this_thread::sleep_for(milliseconds{300});
        box.promote("pg1", false);
        f.promote_sent = Clock::now();
        out.line("{:>7.3f}s  promote pg1 (pg_promote, no wait)\n", secs(*f.promote_sent - t0));
        const Deadline deadline = deadline_after(std::chrono::seconds{30});
        while (pg1.column0("SELECT pg_is_in_recovery()", deadline).at(0) != "f") {
            if (Clock::now() >= deadline) throw std::runtime_error("pg1 did not leave recovery within 30 s");
            std::this_thread::sleep_for(milliseconds{5});
        }
        f.promoted = Clock::now();
        out.line("{:>7.3f}s  promotion finished: pg1 is out of recovery\n", secs(*f.promoted - t0));
    } catch (const std::exception& e) {
        f.error = e.what();
        out.line("failover step failed: {}\n", e.what());
    }
}

template <class Fn>
void timed(Stats& stats, bool is_write, Fn&& fn, std::optional<Outcome>* outcome = nullptr) {
    const auto start = Clock::now();
    Outcome result = Outcome::Ok;
    try {
        fn();
    } catch (const ucm::Error& e) {
        result = (is_write && e.code() == Errc::in_doubt) ? Outcome::InDoubt : Outcome::Failed;
        stats.error(is_write, to_string(e.code()), e.what());
    } catch (const std::exception& e) {
        result = Outcome::Failed;
        stats.error(is_write, "other", e.what());
    }
    const auto latency = Clock::now() - start;
    if (is_write) {
        stats.write(result, latency);
    } else {
        stats.read(result == Outcome::Ok, latency);
    }
    if (outcome != nullptr) *outcome = result;
}

int run_demo(const DemoArgs& args) {
    const auto started = Clock::now();
    const bool failover = !args.no_failover;
    fmt::print(
        "ucm demo: {} writers and {} readers through one manager for {:.0f} s{}\n", args.writers,
        args.readers, args.seconds,
        failover ? fmt::format("; kill -9 of the primary at {:.1f} s", args.seconds / 3) : " (no failover)");
    auto box = sandbox::Sandbox::start({
        .postgres = true,
        .redis = false,
        .sync_replication = true,
        .supervisor_exe = std::filesystem::read_symlink("/proc/self/exe"),
    });
    const Members m{.pg0 = box.port("pg0"), .pg1 = box.port("pg1")};
    fmt::print("sandbox ready in {} ms: pg0 primary on :{}, pg1 synchronous standby on :{}\n",
               std::chrono::duration_cast<milliseconds>(Clock::now() - started).count(), m.pg0, m.pg1);

    Printer out;
    Failover f;
    std::vector<std::vector<WriteRecord>> written(static_cast<std::size_t>(args.writers));
    std::optional<Stats> stats_holder;
    Clock::time_point t0;
    {
        UnifiedConnectionManager manager(demo_config(m));
        manager.connection(ConnectionMode::ReadWrite)
            .execute_simple(
                "CREATE TABLE demo_failover(id bigint PRIMARY KEY, writer int NOT NULL, "
                "at timestamptz NOT NULL DEFAULT clock_timestamp())",
                deadline_after(std::chrono::seconds{5}));
        {
            // Synchronous replication (synchronous_commit = on) waits for the standby's flush, not
            // its replay: wait until pg1 shows the table, or the first reads there fail with 42P01.
            DirectPg pg1(m.pg1, deadline_after(std::chrono::seconds{10}));
            const Deadline deadline = deadline_after(std::chrono::seconds{10});
            while (pg1.column0("SELECT to_regclass('public.demo_failover') IS NOT NULL", deadline).at(0) !=
                   "t") {
                if (Clock::now() >= deadline)
                    throw std::runtime_error("pg1 did not replay CREATE TABLE within 10 s");
                std::this_thread::sleep_for(milliseconds{5});
            }
        }
        std::string roles;
        for (const auto& e : manager.connection_info().endpoints) {
            roles += fmt::format("{}{} {}", roles.empty() ? "" : ", ", m.name_of(e.endpoint), e.role);
        }
        fmt::print("manager (mode mcp_server) was given [pg1, pg0] and found: {}\n\n", roles);
        fmt::print(
            "per second: writes ok / InDoubt / failed and latency of the ok ones, the same for reads, "
            "the manager's write target, breakers\n");
        fmt::print("{:>5} {:>6} {:>5} {:>4} {:>15}  {:>6} {:>4} {:>15}  {:<7} {}\n", "t", "w ok", "doubt",
                   "fail", "p50/p99/max ms", "r ok", "fail", "p50/p99/max ms", "primary", "breakers");

        std::atomic<bool> stop{false};
        std::atomic<std::int64_t> next_id{1};
        t0 = Clock::now();
        Stats& stats = stats_holder.emplace(t0);
        const auto think = milliseconds{args.think_ms};
        std::vector<std::jthread> threads;
        for (std::size_t w = 0; w < written.size(); ++w) {
            threads.emplace_back([&, w] {
                auto& mine = written[w];
                while (!stop.load(std::memory_order_relaxed)) {
                    const std::int64_t id = next_id.fetch_add(1);
                    std::optional<Outcome> outcome;
                    timed(
                        stats, true,
                        [&] {
                            manager.run_transaction([&](pg::Session& tx) {
                                tx.execute("INSERT INTO demo_failover(id, writer) VALUES ($1, $2)", id,
                                           static_cast<std::int32_t>(w));
                            });
                        },
                        &outcome);
                    mine.push_back({.id = id, .outcome = *outcome, .end = Clock::now()});
                    std::this_thread::sleep_for(think);
                }
            });
        }
        for (int r = 0; r < args.readers; ++r) {
            threads.emplace_back([&] {
                while (!stop.load(std::memory_order_relaxed)) {
                    timed(stats, false, [&] {
                        auto conn = manager.connection(ConnectionMode::ReadOnly);
                        (void)conn.execute("SELECT count(*) FROM demo_failover WHERE id > $1",
                                           next_id.load() - 100);
                    });
                    std::this_thread::sleep_for(think);
                }
            });
        }
        std::jthread chaos;
        if (failover) {
            const auto at = t0 + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(args.seconds / 3));
            chaos = std::jthread([&, at] { run_failover(box, m, t0, at, stop, out, f); });
        }
        // Destroyed before the threads: if anything below throws, they stop before being joined.
        struct StopOnExit {
            std::atomic<bool>& flag;
            ~StopOnExit() { flag.store(true); }
        } stop_on_exit{stop};

        const auto whole = static_cast<std::size_t>(args.seconds);
        for (std::size_t s = 1; s <= whole; ++s) {
            std::this_thread::sleep_until(t0 + std::chrono::seconds{s});
            print_second(out, fmt::format("{}s", s), stats.take(s - 1), status_now(manager, m));
        }
        std::this_thread::sleep_until(
            t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.seconds)));
        stop.store(true);
        if (chaos.joinable()) chaos.join();
        for (auto& t : threads) t.join();
        // What completed after the last full second (and the operations in flight at the stop).
        for (std::size_t s = whole; s < stats.seconds_recorded(); ++s) {
            print_second(out, s == whole ? "end" : fmt::format("{}s+", s), stats.take(s),
                         status_now(manager, m));
        }
        manager.shutdown(std::chrono::seconds{2});
    }

    // Read every id back from the primary that is left, on a direct connection.
    const int check_port = failover ? m.pg1 : m.pg0;
    std::unordered_set<std::int64_t> present;
    {
        DirectPg check(check_port, deadline_after(std::chrono::seconds{10}));
        for (const auto& id :
             check.column0("SELECT id FROM demo_failover", deadline_after(std::chrono::seconds{30}))) {
            present.insert(std::stoll(id));
        }
    }
    std::uint64_t acked = 0, found = 0, lost = 0, doubt = 0, doubt_present = 0, failed = 0,
                  failed_present = 0;
    std::optional<Clock::time_point> first_after_promotion;
    std::vector<std::int64_t> lost_ids;
    for (const auto& records : written) {
        for (const auto& r : records) {
            const bool there = present.contains(r.id);
            switch (r.outcome) {
                case Outcome::Ok:
                    ++acked;
                    if (there) {
                        ++found;
                    } else {
                        ++lost;
                        if (lost_ids.size() < 10) lost_ids.push_back(r.id);
                    }
                    if (f.promoted && r.end >= *f.promoted &&
                        (!first_after_promotion || r.end < *first_after_promotion)) {
                        first_after_promotion = r.end;
                    }
                    break;
                case Outcome::InDoubt:
                    ++doubt;
                    if (there) ++doubt_present;
                    break;
                case Outcome::Failed:
                    ++failed;
                    if (there) ++failed_present;
                    break;
            }
        }
    }
    const std::string primary_name = failover ? "pg1, the new primary" : "pg0, the primary";
    fmt::print("\nsummary (ids read back from {} on a direct connection: {} rows)\n", primary_name,
               present.size());
    fmt::print("  writes acknowledged          {:>7}\n", acked);
    fmt::print("  found afterwards             {:>7}\n", found);
    fmt::print("  lost (acknowledged, absent)  {:>7}{}\n", lost, lost == 0 ? "" : "   <- DATA LOSS");
    if (!lost_ids.empty()) {
        std::string ids;
        for (auto id : lost_ids) ids += fmt::format(" {}", id);
        fmt::print("    lost ids (first {}):{}\n", lost_ids.size(), ids);
    }
    fmt::print("  in doubt (InDoubt)           {:>7}   ({} of them present afterwards)\n", doubt,
               doubt_present);
    fmt::print("  reported failed              {:>7}\n", failed);
    fmt::print("  reported failed but present  {:>7}{}\n", failed_present,
               failed_present == 0 ? "" : "   <- a failure that was applied");
    for (const auto& [code, tally] : stats_holder->write_errors()) {
        fmt::print("    write error {} x{}: {}\n", code, tally.count, shorten(tally.example));
    }
    for (const auto& [code, tally] : stats_holder->read_errors()) {
        fmt::print("    read error {} x{}: {}\n", code, tally.count, shorten(tally.example));
    }
    bool recovered = true;
    if (failover) {
        if (f.killed && f.promote_sent && f.promoted) {
            fmt::print(
                "  failover: kill at {:.3f} s, promote sent at {:.3f} s, promotion finished at {:.3f} s\n",
                secs(*f.killed - t0), secs(*f.promote_sent - t0), secs(*f.promoted - t0));
        }
        if (first_after_promotion) {
            fmt::print("  first acknowledged write after the promotion finished: +{:.1f} ms\n",
                       ms(*first_after_promotion - *f.promoted));
        } else {
            recovered = false;
            fmt::print("  no write was acknowledged after the promotion finished\n");
        }
        if (!f.error.empty()) {
            recovered = false;
            fmt::print("  the failover itself failed: {}\n", f.error);
        }
    }
    box.stop();
    fmt::print("sandbox stopped\n");
    if (lost != 0 || failed_present != 0 || !recovered) {
        fmt::print("ucm demo: FAILED ({} lost, {} failed-but-present{})\n", lost, failed_present,
                   recovered ? "" : ", no recovery after the failover");
        return 1;
    }
    return 0;
}

}  // namespace

void register_demo_command(CLI::App& app) {
    auto args = std::make_shared<DemoArgs>();
    auto* cmd = app.add_subcommand(
        "demo",
        "Failover demo: a private sandbox, a write + read workload through ucm, kill -9 of the primary, "
        "promotion of the synchronous standby, and a check that no acknowledged write was lost");
    cmd->add_option("--seconds", args->seconds, "length of the workload in seconds")
        ->default_val(12.0)
        ->check(CLI::Range(3.0, 3600.0));
    cmd->add_option("--writers", args->writers, "writer threads")->default_val(4)->check(CLI::Range(1, 64));
    cmd->add_option("--readers", args->readers, "reader threads (read-only leases)")
        ->default_val(2)
        ->check(CLI::Range(0, 64));
    cmd->add_option("--think-ms", args->think_ms, "pause of each thread between operations, in ms")
        ->default_val(2)
        ->check(CLI::Range(0, 1000));
    cmd->add_flag("--no-failover", args->no_failover, "run the workload without killing the primary");
    cmd->callback([args] {
        if (int rc = run_demo(*args); rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace ucm::cli
