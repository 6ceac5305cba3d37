#include "manager/manager_pools.hpp"

#include "manager/leak_logger.hpp"

#include "pg/conninfo.hpp"
#include "pg/pg_pooled_connection.hpp"
#include "pg/pg_wait_asio.hpp"
#include "pg/pg_wait_poll.hpp"
#include "pool/pool_options_from_config.hpp"

#include <fmt/format.h>

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

// After every connect: is the server what the topology says it is? `in_hot_standby` and
// `default_transaction_read_only` are reported at connect (ENVIRONMENT gotcha 10); they are no
// event source for idle connections, but a new connection to a demoted or fenced host shows them.
std::optional<pg::HostRole> role_mismatch(const pg::PgConnection& conn, const pg::HostLink& link,
                                          ConnectionMode access) {
    const std::string hot_standby = conn.parameter("in_hot_standby");
    if (hot_standby.empty()) return std::nullopt;  // a server before 14 does not report it
    const auto seen = hot_standby == "on" ? pg::HostRole::Standby : pg::HostRole::Primary;
    const auto expected = access == ConnectionMode::ReadOnly ? link.expected_role.load(std::memory_order_acquire)
                                                             : pg::HostRole::Primary;
    if (expected != pg::HostRole::Unknown && seen != expected) return seen;
    // A primary fenced read-only is no primary for writes; ucm never forces it back.
    if (access != ConnectionMode::ReadOnly && conn.parameter("default_transaction_read_only") == "on") {
        return pg::HostRole::Standby;
    }
    return std::nullopt;
}

// A failed connect that says the host is gone (not, say, a refused password) tells the topology.
void report_failed_connect(const std::shared_ptr<pg::HostEvents>& events, const pg::HostLink& link, const Error& e,
                           SteadyClock::time_point began) {
    const bool host_failed = e.code() == Errc::connection_failed || e.code() == Errc::deadline_exceeded;
    if (events && host_failed) events->on_connect(link.index, false, SteadyClock::now() - began);
}

// After a connect, shared by both drivers: tell the topology, and refuse a server that is not the
// role the lease is for.
std::unique_ptr<pg::PgConnection> verified(std::unique_ptr<pg::PgConnection> conn,
                                           const std::shared_ptr<pg::HostEvents>& events, const pg::HostLink& link,
                                           ConnectionMode access, SteadyClock::time_point began) {
    if (events) events->on_connect(link.index, true, SteadyClock::now() - began);
    if (const auto seen = role_mismatch(*conn, link, access)) {
        if (events) events->on_role_mismatch(link.index, *seen);
        throw ConnectionFailed({.message = fmt::format("{} is not the {} it was taken for (in_hot_standby={}, "
                                                       "default_transaction_read_only={}); rediscovering",
                                                       link.name,
                                                       access == ConnectionMode::ReadOnly ? "server" : "writable primary",
                                                       conn->parameter("in_hot_standby"),
                                                       conn->parameter("default_transaction_read_only")),
                                .retriable = true,
                                .endpoint = link.name});
    }
    return conn;
}

std::unique_ptr<pg::PgConnection> connect_checked(const PgOptions& options, const pg::HostLink& link,
                                                  const pg::SessionFlavor& flavor, ConnectionMode access,
                                                  Deadline deadline) {
    const auto events = link.events.lock();
    const auto began = SteadyClock::now();
    std::unique_ptr<pg::PgConnection> conn;
    try {
        conn = std::make_unique<pg::PgConnection>(
            pg::connect_blocking(pg::make_connect_spec(options, link.endpoint, flavor, deadline), deadline));
    } catch (const Error& e) {
        report_failed_connect(events, link, e, began);
        throw;
    }
    return verified(std::move(conn), events, link, access, began);
}

// connect_checked() for a coroutine's acquire: Asio resolves the name and drives libpq's connect.
asio::awaitable<std::unique_ptr<pg::PgConnection>> async_connect_checked(const PgOptions& options,
                                                                         const pg::HostLink& link,
                                                                         const pg::SessionFlavor& flavor,
                                                                         ConnectionMode access, Deadline deadline) {
    const auto events = link.events.lock();
    const auto began = SteadyClock::now();
    std::unique_ptr<pg::PgConnection> conn;
    try {
        const pg::ConnectSpec spec = co_await pg::async_make_connect_spec(options, link.endpoint, flavor, deadline);
        conn = std::make_unique<pg::PgConnection>(co_await pg::async_connect(spec, deadline));
    } catch (const Error& e) {
        report_failed_connect(events, link, e, began);
        throw;
    }
    co_return verified(std::move(conn), events, link, access, began);
}

}  // namespace

pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access, const DriverPoolSettings& driver) {
    const auto preset = mode_preset(config.manager.mode);
    auto options = pool::from_config(config.pool, {.size = preset.pool_size,
                                                   .max_overflow = preset.max_overflow,
                                                   .connect_timeout = driver.connect_timeout});
    // Only the read-write pool is kept warm: the others serve the primary only as a fallback.
    if (access != ConnectionMode::ReadWrite) options.min_idle = 0;
    options.fail_fast_connect = driver.fail_fast_connect;
    return options;
}

pool::PoolOptions pool_options_for(const Config& config, ConnectionMode access) {
    // The router above chooses another endpoint, or waits for rediscovery, instead.
    return pool_options_for(config, access, {.connect_timeout = config.postgres.connect_timeout,
                                             .fail_fast_connect = true});
}

EndpointPools::EndpointPools(const Config& config, std::shared_ptr<pg::HostLink> link,
                             const std::string& application_name)
    : link_(std::move(link)) {
    const Endpoint& endpoint = link_->endpoint;
    const auto query_timeout = config.postgres.query_timeout.value_or(mode_preset(config.manager.mode).query_deadline);
    for (ConnectionMode access : kAllConnectionModes) {
        ModePool& slot = pools_[index(access)];
        slot.access = access;
        slot.context = std::make_shared<const pg::LeaseContext>(pg::LeaseContext{
            .mode = access,
            .endpoint = endpoint.to_string(),
            .query_timeout = query_timeout,
            .read_only_by_transaction = access == ConnectionMode::ReadOnly && config.postgres.unnamed_statements_only,
            .generation = std::shared_ptr<const std::atomic<std::uint64_t>>(link_, &link_->generation),
            .on_error = [weak = link_->events, host = link_->index, access](const Error& e) {
                if (auto events = weak.lock()) events->on_lease_error(host, e, access);
            }});
        pg::SessionFlavor flavor{.application_name = application_name,
                                 .read_only = access == ConnectionMode::ReadOnly,
                                 .role = role_for(config.postgres, access)};
        const PgOptions pg_options = config.postgres;
        const pg::ResetPolicy reset{.discard_all = config.pool.reset_with_discard_all};
        auto factory = [pg_options, link = link_, flavor, reset,
                        access](Deadline deadline) -> std::unique_ptr<pool::PooledResource> {
            auto conn = connect_checked(pg_options, *link, flavor, access, deadline);
            conn->set_statement_cache_capacity(pg_options.unnamed_statements_only ? 0 : kStatementCacheCapacity);
            return std::make_unique<pg::PgPooledConnection>(std::move(*conn), reset);
        };
        auto async_factory = [pg_options, link = link_, flavor, reset,
                              access](Deadline deadline) -> asio::awaitable<std::unique_ptr<pool::PooledResource>> {
            auto conn = co_await async_connect_checked(pg_options, *link, flavor, access, deadline);
            conn->set_statement_cache_capacity(pg_options.unnamed_statements_only ? 0 : kStatementCacheCapacity);
            co_return std::make_unique<pg::PgPooledConnection>(std::move(*conn), reset);
        };
        slot.pool = std::make_unique<pool::BlockingPool>(pool::BlockingPoolSetup{
            .options = pool_options_for(config, access),
            .factory = std::move(factory),
            .async_factory = std::move(async_factory),
            .endpoint = endpoint.to_string(),
            .observer = &leak_logger(),
        });
    }
}

void EndpointPools::set_generation(std::uint64_t generation) {
    for (auto& p : pools_) p.pool->set_generation(generation);
}

}  // namespace ucm
