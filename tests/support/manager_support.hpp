#pragma once
// Builds managers against a sandbox and observes them from the server (pg_stat_activity).

#include "core/pg_uri.hpp"
#include "pg/conninfo.hpp"
#include "pg/pg_wait_poll.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/manager/unified_connection_manager.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace ucm::test {

using namespace std::chrono_literals;

/// A unique manager id per call, so parallel tests never see each other's connections.
inline std::string unique_id(std::string_view prefix) {
    static std::atomic<int> counter{0};
    return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

inline Config manager_config(const std::string& pg_uri, ManagerMode mode, std::string_view id_prefix) {
    Config config;
    config.manager.mode = mode;
    config.manager.id = unique_id(id_prefix);
    ucm::detail::apply_pg_connection_string(pg_uri, config.postgres, "test.postgres");
    config.pool.acquire_timeout = 2s;
    config.postgres.connect_timeout = 2s;
    return config;
}

/// manager_config() over a primary and a standby, listed standby first: ucm must find the roles.
inline Config ha_config(const std::string& primary_uri, const std::string& standby_uri, ManagerMode mode,
                        std::string_view id_prefix) {
    Config config = manager_config(primary_uri, mode, id_prefix);
    PgOptions standby;
    ucm::detail::apply_pg_connection_string(standby_uri, standby, "test.standby");
    config.postgres.hosts.insert(config.postgres.hosts.begin(), standby.hosts.at(0));
    return config;
}

/// The endpoint report of `endpoint` ("host:port").
inline const EndpointHealth& endpoint_of(const std::vector<EndpointHealth>& endpoints, const std::string& endpoint) {
    for (const auto& e : endpoints) {
        if (e.endpoint == endpoint) return e;
    }
    throw std::runtime_error("no endpoint " + endpoint);
}

/// "host:port" of a postgresql:// URI.
inline std::string endpoint_of_uri(const std::string& uri) {
    PgOptions options;
    ucm::detail::apply_pg_connection_string(uri, options, "test");
    return options.hosts.at(0).to_string();
}

inline std::string application_name(const Config& config) {
    return "ucm/" + std::string(to_string(config.manager.mode)) + "/" + config.manager.id;
}

/// A plain superuser connection to `pg_uri`, outside any pool, for observing and for mischief.
class AdminConnection {
public:
    explicit AdminConnection(const std::string& pg_uri) {
        PgOptions options;
        ucm::detail::apply_pg_connection_string(pg_uri, options, "admin");
        conn_ = std::make_unique<pg::PgConnection>(pg::connect_blocking(
            pg::make_connect_spec(options, options.hosts.at(0), {.application_name = "ucm-test-admin"},
                                  deadline_after(10s)),
            deadline_after(10s)));
    }
    pg::Result exec(std::string_view sql, const std::vector<pg::Param>& ps = {}) {
        return pg::exec_blocking(*conn_, sql, ps, deadline_after(30s));
    }
    std::int64_t backends_of(const std::string& app) {
        return exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", pg::params(app))[0]
            .get<std::int64_t>(0);
    }

private:
    std::unique_ptr<pg::PgConnection> conn_;
};

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

inline const PoolHealth& pool_of(const EndpointHealth& endpoint, ConnectionMode access) {
    for (const auto& p : endpoint.pools) {
        if (p.access == access) return p;
    }
    throw std::runtime_error("no pool for that access");
}

/// The pool of `access` on the first endpoint (single-host configs).
inline const PoolHealth& pool_of(const ConnectionInfo& info, ConnectionMode access) {
    return pool_of(info.endpoints.at(0), access);
}

}  // namespace ucm::test
