#pragma once
// Probes every PostgreSQL host at once: connect, one query for role, writability, timeline and WAL
// positions, each host with its own deadline, all driven by one poll() loop over the nonblocking
// state machines, so a stalled host delays nobody (DESIGN "The control path").

#include "pg/router.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/pg_options.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ucm::pg {

/// What one probe learned; `view` is ready for the router except for breaker state.
struct ProbeResult {
    HostView view{};
    std::optional<std::uint64_t> wal_lsn{};  ///< primary: current LSN; standby: last replayed LSN
    std::string error{};                     ///< why it is unreachable; never a secret
};

/// Probes `hosts` concurrently; each probe ends by `deadline` at the latest. Standby lag in bytes
/// is measured against the writable primary with the highest timeline, when one was reached.
std::vector<ProbeResult> probe_topology(const PgOptions& options, const std::vector<Endpoint>& hosts,
                                        const std::string& application_name, Deadline deadline);

/// The SQL a probe runs (one round trip).
extern const char* const kTopologyProbeSql;

}  // namespace ucm::pg
