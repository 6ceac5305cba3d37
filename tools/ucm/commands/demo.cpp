// `ucm demo`: the failover demo. Starts a private sandbox (PostgreSQL primary pg0 + synchronous
// standby pg1), gives ucm both hosts (it finds the roles itself), runs writers and readers through
// the manager, kills the primary with SIGKILL a third of the way in, promotes the standby, and
// prints one line per second. Afterwards it reads every id back from the new primary and checks
// that no acknowledged write was lost and no write reported as failed was applied.
#include "commands/commands.hpp"
#include "commands/demo_direct_pg.hpp"
#include "commands/demo_stats.hpp"

#include <ucm/core/config.hpp>
#include <ucm/core/deadline.hpp>
#include <ucm/core/error.hpp>
#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace ucm::cli {
namespace {

using std::chrono::milliseconds;

struct DemoArgs {
    double seconds = 12.0;
    int writers = 4;
    int readers = 2;
    int think_ms = 2;
    bool no_failover = false;
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
