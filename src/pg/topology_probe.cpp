#include "pg/topology_probe.hpp"

#include "pg/conninfo.hpp"
#include "pg/pg_wait_poll.hpp"

#include <ucm/core/error.hpp>

#include <poll.h>

#include <charconv>
#include <memory>

namespace ucm::pg {

// The timeline comes from the WAL file name, not pg_control_checkpoint(), which lags a promotion
// until the next checkpoint (ENVIRONMENT gotcha 10). Lag is 0 when everything received is replayed.
const char* const kTopologyProbeSql =
    "SELECT pg_is_in_recovery() AS standby, "
    "current_setting('transaction_read_only') = 'on' AS read_only, "
    "CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver) "
    "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline, "
    "(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END "
    " - '0/0'::pg_lsn)::bigint AS lsn, "
    "NOT pg_is_in_recovery() "
    "  OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() AS caught_up, "
    "(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint AS lag_ms";

namespace {

// Built only when a fresh connection is needed: a kept connection needs no name lookup.
class LazySpec {
public:
    LazySpec(const PgOptions& options, const Endpoint& host, const std::string& application_name, Deadline deadline)
        : options_(&options), host_(&host), application_name_(&application_name), deadline_(deadline) {}
    const ConnectSpec& get() {
        if (!spec_) {
            spec_ = make_connect_spec(*options_, *host_,
                                      {.application_name = *application_name_, .role = options_->roles.read_write},
                                      deadline_);
        }
        return *spec_;
    }

private:
    const PgOptions* options_;
    const Endpoint* host_;
    const std::string* application_name_;
    Deadline deadline_;
    std::optional<ConnectSpec> spec_;
};

struct Probe {
    ProbeSlot* slot = nullptr;
    enum class Phase : std::uint8_t { connecting, querying, done } phase = Phase::connecting;
    bool reused = false;  // a kept connection: on failure, one fresh connect in the same round
    IoWait wait = IoWait::none;
    SteadyClock::time_point query_started{};
};

void read_row(const Result& r, ProbeResult& out) {
    const auto row = r[0];
    const bool is_standby = row.get<bool>("standby");
    out.view.role = is_standby ? HostRole::Standby : HostRole::Primary;
    out.view.writable = !is_standby && !row.get<bool>("read_only");
    out.view.timeline = row.get<std::optional<std::int64_t>>("timeline").value_or(0);
    if (auto lsn = row.get<std::optional<std::int64_t>>("lsn")) out.wal_lsn = static_cast<std::uint64_t>(*lsn);
    if (is_standby) {
        if (row.get<bool>("caught_up")) {
            out.view.lag_time = std::chrono::milliseconds{0};
            out.view.lag_bytes = 0;
        } else if (auto ms = row.get<std::optional<std::int64_t>>("lag_ms")) {
            out.view.lag_time = std::chrono::milliseconds{*ms};
        }
    }
    out.view.reachable = true;
    out.error.clear();
}

void record_error(ProbeResult& out, const std::exception& e) {
    out.error = e.what();
    if (const auto* error = dynamic_cast<const Error*>(&e)) out.error_code = error->code();
}

void send_probe(Probe& p) {
    p.slot->conn->send_simple(kTopologyProbeSql);
    p.phase = Probe::Phase::querying;
    p.query_started = SteadyClock::now();
}

void start_fresh(Probe& p, ProbeResult& out, LazySpec& spec) {
    ++out.connects;
    p.slot->conn = std::make_unique<PgConnection>(PgConnection::start(spec.get()));
    p.reused = false;
    p.phase = Probe::Phase::connecting;
}

// Advances one probe as far as it goes without blocking.
void advance(Probe& p, ProbeResult& out, LazySpec& spec) {
    for (;;) {
        try {
            if (p.phase == Probe::Phase::connecting) {
                p.wait = p.slot->conn->connect_step();
                if (p.wait != IoWait::none) return;
                send_probe(p);
            }
            p.wait = p.slot->conn->query_step();
            if (p.wait != IoWait::none) return;
            out.view.rtt =
                std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - p.query_started);
            read_row(p.slot->conn->take_result(), out);
            p.phase = Probe::Phase::done;
            return;
        } catch (const std::exception& e) {
            p.slot->conn.reset();
            if (!p.reused) {
                record_error(out, e);
                p.phase = Probe::Phase::done;
                return;
            }
            try {
                start_fresh(p, out, spec);  // the kept connection broke; the host may be fine
            } catch (const std::exception& again) {
                record_error(out, again);
                p.phase = Probe::Phase::done;
                return;
            }
        }
    }
}

}  // namespace

std::vector<ProbeResult> probe_topology(const PgOptions& options, const std::vector<Endpoint>& hosts,
                                        std::vector<ProbeSlot>& slots, const std::string& application_name,
                                        Deadline deadline,
                                        const std::function<void(std::size_t, const ProbeResult&)>& on_done) {
    slots.resize(hosts.size());
    std::vector<ProbeResult> results(hosts.size());
    std::vector<Probe> probes(hosts.size());
    std::vector<LazySpec> specs;
    specs.reserve(hosts.size());
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        specs.emplace_back(options, hosts[i], application_name, deadline);
        Probe& p = probes[i];
        p.slot = &slots[i];
        if (p.slot->skip) {
            p.phase = Probe::Phase::done;
            continue;
        }
        try {
            if (p.slot->conn && p.slot->conn->is_alive_and_idle()) {
                p.reused = true;
                send_probe(p);
            } else {
                start_fresh(p, results[i], specs[i]);
            }
            advance(p, results[i], specs[i]);
        } catch (const std::exception& e) {
            p.slot->conn.reset();
            if (p.reused) {
                try {
                    start_fresh(p, results[i], specs[i]);
                    advance(p, results[i], specs[i]);
                    continue;
                } catch (const std::exception& again) {
                    record_error(results[i], again);
                }
            } else {
                record_error(results[i], e);
            }
            p.phase = Probe::Phase::done;
        }
    }
    std::vector<bool> reported(hosts.size(), false);
    auto report_done = [&] {
        if (!on_done) return;
        for (std::size_t i = 0; i < probes.size(); ++i) {
            if (reported[i] || probes[i].phase != Probe::Phase::done || slots[i].skip) continue;
            reported[i] = true;
            on_done(i, results[i]);
        }
    };
    for (;;) {
        report_done();
        std::vector<pollfd> fds;
        std::vector<std::size_t> owner;
        for (std::size_t i = 0; i < probes.size(); ++i) {
            if (probes[i].phase == Probe::Phase::done) continue;
            fds.push_back({.fd = slots[i].conn->socket(), .events = poll_events(probes[i].wait), .revents = 0});
            owner.push_back(i);
        }
        if (fds.empty()) break;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(remaining(deadline)).count();
        if (left <= 0) {
            for (std::size_t i : owner) {
                results[i].error = hosts[i].to_string() + ": probe deadline exceeded";
                slots[i].conn.reset();  // closing is enough: a probe never writes
                probes[i].phase = Probe::Phase::done;
            }
            report_done();
            break;
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(left)) < 0 && errno != EINTR) break;
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents != 0) advance(probes[owner[k]], results[owner[k]], specs[owner[k]]);
        }
    }
    // Bytes behind: against the writable primary with the highest timeline.
    std::optional<std::uint64_t> primary_lsn;
    std::int64_t best_timeline = -1;
    for (const auto& r : results) {
        if (r.view.writable && r.wal_lsn && r.view.timeline > best_timeline) {
            best_timeline = r.view.timeline;
            primary_lsn = r.wal_lsn;
        }
    }
    for (auto& r : results) {
        if (r.view.role != HostRole::Standby || !r.wal_lsn || r.view.lag_bytes || !primary_lsn) continue;
        r.view.lag_bytes = *primary_lsn > *r.wal_lsn ? *primary_lsn - *r.wal_lsn : 0;
    }
    return results;
}

std::vector<ProbeResult> probe_topology(const PgOptions& options, const std::vector<Endpoint>& hosts,
                                        const std::string& application_name, Deadline deadline) {
    std::vector<ProbeSlot> slots(hosts.size());
    return probe_topology(options, hosts, slots, application_name, deadline);
}

}  // namespace ucm::pg
