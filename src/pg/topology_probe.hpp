#pragma once
// Probes every PostgreSQL host at once: connect, one query for role, writability, timeline and WAL
// positions, each host with its own deadline, all driven by one poll() loop over the nonblocking
// state machines, so a stalled host delays nobody (DESIGN "The control path").

#include "pg/pg_connection.hpp"
#include "pg/router.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/errc.hpp>
#include <ucm/core/pg_options.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ucm::pg {

/// What one probe learned; `view` is ready for the router except for breaker state.
struct ProbeResult {
    HostView view{};
    std::optional<std::uint64_t> wal_lsn{};  ///< primary: current LSN; standby: last replayed LSN
    std::string error{};                     ///< why it is unreachable; never a secret
    std::optional<Errc> error_code{};        ///< its code, when it was a ucm::Error
    std::uint32_t connects = 0;              ///< connection attempts this round (0: the kept one answered)
};

/// The prober's own connection to one host, kept between rounds so that a round costs one round
/// trip, not a connect (about 3 ms here); `skip` leaves the host out of a round (its breaker is open).
struct ProbeSlot {
    std::unique_ptr<PgConnection> conn{};
    bool skip = false;
};

/// Probes `hosts` concurrently; each probe ends by `deadline` at the latest. `slots` (one per host)
/// are reused when alive and replaced otherwise. Standby lag in bytes is measured against the
/// writable primary with the highest timeline, when one was reached. A skipped host's result is
/// unreachable with an empty error.
/// `on_done(i, result)` is called as each probed host finishes, before the round ends (its
/// lag_bytes is filled in only in the returned vector), so a stalled host delays nobody.
std::vector<ProbeResult> probe_topology(const PgOptions& options, const std::vector<Endpoint>& hosts,
                                        std::vector<ProbeSlot>& slots, const std::string& application_name,
                                        Deadline deadline,
                                        const std::function<void(std::size_t, const ProbeResult&)>& on_done = {});

/// One round over fresh connections.
std::vector<ProbeResult> probe_topology(const PgOptions& options, const std::vector<Endpoint>& hosts,
                                        const std::string& application_name, Deadline deadline);

/// The SQL a probe runs (one round trip).
extern const char* const kTopologyProbeSql;

}  // namespace ucm::pg
