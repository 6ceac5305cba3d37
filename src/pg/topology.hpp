#pragma once
// What ucm knows of the PostgreSQL cluster, and the one prober thread that keeps it true (DESIGN
// "The control path"): a round every topology_refresh, an immediate (debounced) round on any event
// the data path reports, rounds on a short capped backoff while no writable primary is known.
// Role changes bump the host's generation and reset its breaker; acquirers wait on changes.

#include "pg/host_link.hpp"
#include "pg/router.hpp"
#include "pg/topology_probe.hpp"
#include "resilience/capped_backoff.hpp"
#include "resilience/circuit_breaker.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/health_options.hpp>
#include <ucm/core/pg_options.hpp>
#include <ucm/resilience/breaker_options.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ucm::pg {

struct TopologySetup {
    PgOptions options{};
    HealthOptions health{};
    BreakerOptions breaker{};
    std::string application_name{};  ///< of the prober's own connections
    RoutePolicy policy{};            ///< for the routes published to the hot path (fast_route)
    /// Called (from the prober thread, without the topology's lock) after `host` changed role and
    /// its generation became `generation`: the owner closes that host's idle connections.
    std::function<void(std::size_t host, std::uint64_t generation)> on_role_change{};
};

/// One host as the topology sees it now.
struct HostStatus {
    HostView view{};
    std::string error{};               ///< why the last probe failed; never a secret
    BreakerState breaker = BreakerState::Closed;
    SteadyClock::time_point retry_at{};  ///< when an open breaker lets the next probe through
    std::uint64_t generation = 0;
    bool chosen_primary = false;       ///< the writable primary writes go to
    std::uint64_t connect_attempts = 0;  ///< by the pools and the prober, since the start
};

/// Thread safety: safe to share; everything but start()/stop() may be called from any thread.
class Topology final : public HostEvents, public std::enable_shared_from_this<Topology> {
public:
    static std::shared_ptr<Topology> create(TopologySetup setup);
    ~Topology() override;

    /// Runs the first round now (bounded by the probe timeout), then starts the prober thread.
    void start();
    /// Stops the prober thread and closes its connections; waiters are woken.
    void stop();

    [[nodiscard]] const std::vector<std::shared_ptr<HostLink>>& hosts() const noexcept { return links_; }

    struct Snapshot {
        std::vector<HostView> views;  ///< breaker_permits filled in for requests
        std::uint64_t version = 0;    ///< changes whenever anything in views may have changed
        bool settled = false;         ///< a round completed and no rediscovery is pending
        /// Set when no host is reachable and a probe was refused authentication: waiting for a
        /// primary will not help, the credentials are wrong.
        std::optional<std::string> auth_failure{};
    };
    [[nodiscard]] Snapshot snapshot() const;
    [[nodiscard]] std::vector<HostStatus> status() const;
    [[nodiscard]] bool split_brain() const;

    /// The host `mode` goes to when the answer needs no waiting and no error: read from atomics
    /// published at every change, so the hot path takes no lock. Empty: ask route() with a
    /// snapshot(). `cursor` advances round robin over the qualifying standbys.
    [[nodiscard]] std::optional<std::size_t> fast_route(ConnectionMode mode, std::size_t cursor) const noexcept;

    /// Asks for a round now (debounced: many requests, one round).
    void request_refresh();
    /// Waits until the version differs from `version`, or `deadline`, or stop(). True if changed.
    bool wait_for_change(std::uint64_t version, Deadline deadline) const;
    /// The version snapshot() would report now, and whether stop() was called: for waiters that
    /// must not block (the coroutine acquire polls it).
    [[nodiscard]] std::pair<std::uint64_t, bool> version() const;
    /// Requests a round and waits until one that started afterwards completed (or `deadline`).
    bool refresh_now(Deadline deadline);

    /// What a round does with its results, without I/O: for unit tests of the role logic (first
    /// sight, role changes, split brain, unreachable hosts) with no servers. Hosts not in
    /// `results` (shorter vector) are left as they are.
    void ingest(const std::vector<ProbeResult>& results);

    // HostEvents
    void on_connect(std::size_t host, bool ok, std::chrono::nanoseconds took) noexcept override;
    void on_lease_error(std::size_t host, const Error& error, ConnectionMode mode) noexcept override;
    void on_role_mismatch(std::size_t host, HostRole seen) noexcept override;

private:
    explicit Topology(TopologySetup setup);

    enum class Effective : std::uint8_t { Unknown, Primary, OtherPrimary, Standby };
    struct HostState {
        HostView view{};
        std::string error{};
        std::optional<Errc> error_code{};
        CircuitBreaker breaker;
        Effective effective = Effective::Unknown;
        std::uint64_t connect_attempts = 0;
    };

    void run();
    void round();
    // Closes a round under the lock: the final pass over `results`, then bookkeeping.
    void finish_round_locked(const std::vector<ProbeResult>& results, const std::vector<bool>& probed,
                             std::vector<std::pair<std::size_t, std::uint64_t>>& changed);
    void notify_changed(std::vector<std::pair<std::size_t, std::uint64_t>>& changed);
    void apply(std::size_t host, const ProbeResult& result, bool final_pass);
    void settle_roles(std::vector<std::pair<std::size_t, std::uint64_t>>& changed);
    void mark_unreachable(std::size_t host, const std::string& why);
    [[nodiscard]] bool primary_known_locked() const;
    // ++version_ and the routes fast_route() reads.
    void bump_locked();
    [[nodiscard]] SteadyClock::time_point next_round_locked(SteadyClock::time_point now) const;

    TopologySetup setup_;
    std::vector<std::shared_ptr<HostLink>> links_;
    std::vector<ProbeSlot> slots_;  // prober thread only

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;  // acquirers waiting for a new view
    std::condition_variable wake_;             // the prober thread
    std::vector<HostState> hosts_;
    std::uint64_t version_ = 0;
    static constexpr std::int32_t kNone = -1;
    std::atomic<std::int32_t> write_host_{kNone};
    std::atomic<std::int32_t> nearest_read_host_{kNone};
    std::atomic<std::uint64_t> read_hosts_{0};  // bit i: host i qualifies for reads (first 64 hosts)
    std::uint64_t rounds_started_ = 0;
    std::uint64_t rounds_done_ = 0;
    bool refresh_requested_ = false;
    bool stopping_ = false;
    SteadyClock::time_point last_round_end_{};
    CappedBackoff backoff_;  // between rounds while no writable primary is known
    std::thread thread_;
};

}  // namespace ucm::pg
