// "Promotion finished → first successful write" over repeated real failovers (issue 4, item 8),
// ucm side by side with a plain libpq client that uses the multi-host conninfo with
// target_session_attrs=read-write and reconnects every 10 ms on error.
//
// Each failover gets a fresh sandbox (asynchronous replication, so only the client is measured):
// writers run, pg0 is killed with SIGKILL, the standby is promoted once its WAL receiver has
// noticed (ENVIRONMENT gotcha 4), and "promotion finished" is the first pg_is_in_recovery() = false
// seen by a 5 ms poller after `pg_ctl promote -W`. Contenders alternate, so drift hits both alike.
// Prints one TSV line per failover and the medians; speed is reported, never asserted.
//
// Usage: ucm_failover_bench [failovers per contender, default 10] [writer threads, default 4]
#include "core/pg_uri.hpp"

#include <ucm/core/error.hpp>
#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/sandbox/sandbox.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct PgConnDeleter {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

bool exec_ok(PGconn* conn, const char* sql) {
    PGresult* r = PQexec(conn, sql);
    const bool ok = r != nullptr && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
    return ok;
}

std::optional<bool> single_bool(PGconn* conn, const char* sql) {
    PGresult* r = PQexec(conn, sql);
    std::optional<bool> out;
    if (r != nullptr && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) out = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return out;
}

PgConnPtr connect_direct(const std::string& uri) {
    PgConnPtr c(PQconnectdb(uri.c_str()));
    if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error("cannot connect to " + uri);
    return c;
}

// Successful writes, with their completion times, from every writer thread.
class SuccessLog {
public:
    void add(Clock::time_point t) {
        std::lock_guard lock(mutex_);
        times_.push_back(t);
    }
    std::optional<Clock::time_point> first_at_or_after(Clock::time_point t) const {
        std::lock_guard lock(mutex_);
        std::optional<Clock::time_point> best;
        for (auto x : times_) {
            if (x >= t && (!best || x < *best)) best = x;
        }
        return best;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Clock::time_point> times_;
};

struct Outcome {
    double ms = -1;                    // promotion finished → first successful write
    std::uint64_t connect_attempts = 0;  // between the kill and that write
    std::uint64_t errors = 0;          // failed writes seen by the application in that time
};

// One contender's writers: start(), then stop() once measured.
class Contender {
public:
    virtual ~Contender() = default;
    virtual void start(int threads) = 0;
    virtual void stop() = 0;
    [[nodiscard]] virtual std::uint64_t connect_attempts() const = 0;
    SuccessLog successes;
    std::atomic<std::uint64_t> errors{0};
};

class UcmContender final : public Contender {
public:
    UcmContender(const std::string& pg0, const std::string& pg1) {
        ucm::Config config;
        config.manager.id = "failover-bench";
        ucm::detail::apply_pg_connection_string(pg0, config.postgres, "bench");
        ucm::PgOptions standby;
        ucm::detail::apply_pg_connection_string(pg1, standby, "bench");
        config.postgres.hosts.push_back(standby.hosts.at(0));
        config.pool.acquire_timeout = 10s;  // a write waits out the failover
        manager_ = std::make_unique<ucm::UnifiedConnectionManager>(config);  // health interval: default 10 s
    }
    void start(int threads) override {
        for (int i = 0; i < threads; ++i) {
            threads_.emplace_back([this] {
                while (!stop_.load(std::memory_order_relaxed)) {
                    try {
                        auto conn = manager_->connection(ucm::ConnectionMode::ReadWrite);
                        conn.execute("INSERT INTO failover_bench(v) VALUES (1)");
                        successes.add(Clock::now());
                    } catch (const ucm::Error&) {
                        errors.fetch_add(1, std::memory_order_relaxed);
                    }
                }
            });
        }
    }
    void stop() override {
        stop_ = true;
        for (auto& t : threads_) t.join();
        threads_.clear();
        manager_->shutdown(1s);
    }
    std::uint64_t connect_attempts() const override {
        std::uint64_t n = 0;
        for (const auto& e : manager_->connection_info().endpoints) n += e.connect_attempts;
        return n;
    }

private:
    std::unique_ptr<ucm::UnifiedConnectionManager> manager_;
    std::atomic<bool> stop_{false};
    std::vector<std::thread> threads_;
};

class LibpqContender final : public Contender {
public:
    LibpqContender(int port0, int port1)
        : conninfo_(fmt::format("host=127.0.0.1,127.0.0.1 port={},{} user=postgres dbname=postgres "
                                "target_session_attrs=read-write connect_timeout=2",
                                port0, port1)) {}
    void start(int threads) override {
        for (int i = 0; i < threads; ++i) {
            threads_.emplace_back([this] {
                PgConnPtr conn;
                while (!stop_.load(std::memory_order_relaxed)) {
                    if (!conn) {
                        // Each call tries the hosts in order until one is read-write: count both.
                        attempts_.fetch_add(2, std::memory_order_relaxed);
                        conn.reset(PQconnectdb(conninfo_.c_str()));
                        if (PQstatus(conn.get()) != CONNECTION_OK) {
                            conn.reset();
                            errors.fetch_add(1, std::memory_order_relaxed);
                            std::this_thread::sleep_for(10ms);
                            continue;
                        }
                    }
                    if (exec_ok(conn.get(), "INSERT INTO failover_bench(v) VALUES (1)")) {
                        successes.add(Clock::now());
                    } else {
                        errors.fetch_add(1, std::memory_order_relaxed);
                        conn.reset();
                        std::this_thread::sleep_for(10ms);
                    }
                }
            });
        }
    }
    void stop() override {
        stop_ = true;
        for (auto& t : threads_) t.join();
        threads_.clear();
    }
    std::uint64_t connect_attempts() const override { return attempts_.load(); }

private:
    std::string conninfo_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> attempts_{0};
    std::vector<std::thread> threads_;
};

Outcome run_failover(bool use_ucm, int threads, const char* self_exe) {
    auto box = ucm::sandbox::Sandbox::start(
        {.postgres = true, .redis = false, .sync_replication = false, .supervisor_exe = self_exe});
    {
        auto admin = connect_direct(box.pg_uri("pg0"));
        if (!exec_ok(admin.get(), "CREATE TABLE failover_bench(id bigserial PRIMARY KEY, v int)")) {
            throw std::runtime_error("cannot create the table");
        }
    }
    std::unique_ptr<Contender> c;
    if (use_ucm) {
        c = std::make_unique<UcmContender>(box.pg_uri("pg0"), box.pg_uri("pg1"));
    } else {
        c = std::make_unique<LibpqContender>(box.port("pg0"), box.port("pg1"));
    }
    c->start(threads);
    std::this_thread::sleep_for(300ms);  // steady state: pools warm, writes flowing
    auto standby = connect_direct(box.pg_uri("pg1"));
    const auto attempts_before = c->connect_attempts();
    const auto errors_before = c->errors.load();
    box.kill("pg0", SIGKILL);
    // Promote once the standby noticed the primary is gone, or promotion can stall (gotcha 4).
    const auto noticed_by = Clock::now() + 2s;
    while (Clock::now() < noticed_by &&
           single_bool(standby.get(), "SELECT count(*) > 0 FROM pg_stat_wal_receiver").value_or(true)) {
        std::this_thread::sleep_for(5ms);
    }
    box.promote("pg1", false);
    Clock::time_point promoted{};
    const auto promote_by = Clock::now() + 10s;
    while (Clock::now() < promote_by) {
        if (single_bool(standby.get(), "SELECT pg_is_in_recovery()") == false) {
            promoted = Clock::now();
            break;
        }
        std::this_thread::sleep_for(5ms);
    }
    Outcome out;
    const auto wait_by = Clock::now() + 15s;
    std::optional<Clock::time_point> first;
    while (promoted != Clock::time_point{} && Clock::now() < wait_by) {
        if ((first = c->successes.first_at_or_after(promoted))) break;
        std::this_thread::sleep_for(1ms);
    }
    out.connect_attempts = c->connect_attempts() - attempts_before;
    out.errors = c->errors.load() - errors_before;
    c->stop();
    if (first) out.ms = std::chrono::duration<double, std::milli>(*first - promoted).count();
    box.stop();
    return out;
}

template <class T>
T median(std::vector<T> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? T{} : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const int failovers = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 4;
    // The sandbox supervisor is the `ucm` CLI; the bench is built beside it.
    const char* exe = std::getenv("UCM_SANDBOX_EXE");
    if (exe == nullptr) {
        std::fprintf(stderr, "set UCM_SANDBOX_EXE to the ucm binary\n");
        return 2;
    }
    std::vector<double> ucm_ms, libpq_ms;
    std::vector<std::uint64_t> ucm_attempts, libpq_attempts, ucm_errors, libpq_errors;
    std::printf("run\tcontender\tpromotion_to_first_write_ms\tconnect_attempts\tfailed_writes\n");
    for (int i = 0; i < failovers; ++i) {
        for (int k = 0; k < 2; ++k) {
            const bool use_ucm = (i + k) % 2 == 0;  // alternate which goes first
            const Outcome o = run_failover(use_ucm, threads, exe);
            std::printf("%d\t%s\t%.1f\t%llu\t%llu\n", i + 1, use_ucm ? "ucm" : "libpq", o.ms,
                        static_cast<unsigned long long>(o.connect_attempts), static_cast<unsigned long long>(o.errors));
            std::fflush(stdout);
            (use_ucm ? ucm_ms : libpq_ms).push_back(o.ms);
            (use_ucm ? ucm_attempts : libpq_attempts).push_back(o.connect_attempts);
            (use_ucm ? ucm_errors : libpq_errors).push_back(o.errors);
        }
    }
    std::printf("median\tucm\t%.1f\t%llu\t%llu\n", median(ucm_ms), static_cast<unsigned long long>(median(ucm_attempts)),
                static_cast<unsigned long long>(median(ucm_errors)));
    std::printf("median\tlibpq\t%.1f\t%llu\t%llu\n", median(libpq_ms),
                static_cast<unsigned long long>(median(libpq_attempts)),
                static_cast<unsigned long long>(median(libpq_errors)));
    const bool all_measured = std::none_of(ucm_ms.begin(), ucm_ms.end(), [](double x) { return x < 0; }) &&
                              std::none_of(libpq_ms.begin(), libpq_ms.end(), [](double x) { return x < 0; });
    return all_measured ? 0 : 1;
}
