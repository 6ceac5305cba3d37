#include "manager/manager_pools.hpp"

#include "manager/leak_logger.hpp"

#include "pg/conninfo.hpp"
#include "pg/pg_pooled_connection.hpp"
#include "pg/pg_wait_poll.hpp"
#include "pool/pool_options_from_config.hpp"

namespace ucm {
namespace {

std::optional<PgRole> role_for(const PgOptions& options, ConnectionMode access) {
    switch (access) {
        case ConnectionMode::ReadOnly: return options.roles.read_only;
        case ConnectionMode::ReadWrite: return options.roles.read_write;
        case ConnectionMode::Admin: return options.roles.admin;
    }
    return std::nullopt;
}

constexpr std::size_t kStatementCacheCapacity = 64;

}  // namespace

pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access) {
    const auto preset = mode_preset(config.manager.mode);
    auto options = pool::from_config(config.pool, {.size = preset.pool_size,
                                                   .max_overflow = preset.max_overflow,
                                                   .connect_timeout = config.postgres.connect_timeout});
    // Only the read-write pool is kept warm: the others serve the primary only as a fallback.
    if (access != ConnectionMode::ReadWrite) options.min_idle = 0;
    return options;
}

EndpointPools::EndpointPools(const Config& config, const Endpoint& endpoint, const std::string& application_name)
    : endpoint_(endpoint) {
    const auto query_timeout = config.postgres.query_timeout.value_or(mode_preset(config.manager.mode).query_deadline);
    for (ConnectionMode access : kAllConnectionModes) {
        ModePool& slot = pools_[index(access)];
        slot.access = access;
        slot.context = std::make_shared<const pg::LeaseContext>(pg::LeaseContext{
            .mode = access,
            .endpoint = endpoint.to_string(),
            .query_timeout = query_timeout,
            .read_only_by_transaction = access == ConnectionMode::ReadOnly && config.postgres.unnamed_statements_only});
        pg::SessionFlavor flavor{.application_name = application_name,
                                 .read_only = access == ConnectionMode::ReadOnly,
                                 .role = role_for(config.postgres, access)};
        const PgOptions pg_options = config.postgres;
        const pg::ResetPolicy reset{.discard_all = config.pool.reset_with_discard_all};
        auto factory = [pg_options, endpoint, flavor, reset](Deadline deadline) -> std::unique_ptr<pool::PooledResource> {
            auto conn = pg::connect_blocking(pg::make_connect_spec(pg_options, endpoint, flavor, deadline), deadline);
            conn.set_statement_cache_capacity(pg_options.unnamed_statements_only ? 0 : kStatementCacheCapacity);
            return std::make_unique<pg::PgPooledConnection>(std::move(conn), reset);
        };
        slot.pool = std::make_unique<pool::BlockingPool>(pool::BlockingPoolSetup{
            .options = pool_options_for(config, access),
            .factory = std::move(factory),
            .endpoint = endpoint.to_string(),
            .observer = &leak_logger(),
        });
    }
}

}  // namespace ucm
