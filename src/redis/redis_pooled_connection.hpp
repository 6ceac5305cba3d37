#pragma once
// A RedisConnection as the pool sees it: liveness without a round trip, PING, and the
// conservative reset of DESIGN "Release is conservative".

#include "redis/redis_connection.hpp"

#include <ucm/pool/pooled_resource.hpp>

#include <cstdint>

namespace ucm::redis {

/// Thread safety: not thread-safe; owned by the pool or by the one lease holding it (its
/// connection's shutdown_socket() excepted).
class RedisPooledConnection final : public pool::PooledResource {
public:
    /// `generation`: the master's generation when the connect began; leases compare it with the
    /// current one before every command.
    RedisPooledConnection(RedisConnection conn, std::uint64_t generation)
        : conn_(std::move(conn)), generation_(generation) {}

    bool is_alive() noexcept override;
    bool ping(Deadline deadline) noexcept override;
    /// MustClose when broken, owed replies, inside MULTI, subscribed or after a user SELECT;
    /// a pending WATCH is ended with UNWATCH; else Clean.
    pool::ResetResult reset(Deadline deadline) noexcept override;
    bool reset_is_free() noexcept override { return !conn_.watching(); }
    void close() noexcept override;

    RedisConnection& connection() noexcept { return conn_; }
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

private:
    RedisConnection conn_;
    std::uint64_t generation_;
};

}  // namespace ucm::redis
