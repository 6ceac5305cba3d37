#pragma once
// A PgConnection as the pool sees it: liveness without a round trip, a ping, and the conservative
// reset of DESIGN "Release is conservative".

#include "pg/pg_connection.hpp"

#include <ucm/pool/pooled_resource.hpp>

namespace ucm::pg {

/// How a released connection is cleaned.
struct ResetPolicy {
    bool discard_all = false;  ///< run DISCARD ALL (drops session state and prepared statements)
};

/// Thread safety: not thread-safe; owned by the pool or by the one lease holding it.
class PgPooledConnection final : public pool::PooledResource {
public:
    PgPooledConnection(PgConnection conn, ResetPolicy policy) : conn_(std::move(conn)), policy_(policy) {}

    bool is_alive() noexcept override;
    bool ping(Deadline deadline) noexcept override;
    pool::ResetResult reset(Deadline deadline) noexcept override;
    bool reset_is_free() noexcept override;
    void close() noexcept override;

    PgConnection& connection() noexcept { return conn_; }

private:
    PgConnection conn_;
    ResetPolicy policy_;
};

}  // namespace ucm::pg
