#pragma once
// Redis helpers for integration tests: the sandbox master's address, unique keys, ucm's own
// RedisConnection as an observer (CLIENT LIST, ACL), and RedisPools built like the manager's.

#include "manager/redis_pools.hpp"
#include "redis/redis_connection.hpp"
#include "support/endpoint_list.hpp"
#include "support/manager_support.hpp"

#include <ucm/core/config.hpp>

#include <array>
#include <sstream>
#include <string>
#include <vector>

namespace ucm::test {

inline Endpoint redis_master() {
    const std::string& text = sandbox_env().redis_master;
    const auto colon = text.rfind(':');
    return {.host = text.substr(0, colon), .port = static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
}

/// A key prefix no other test (or test process) uses: the shared master serves them all.
inline std::string unique_key(std::string_view what) { return "ucm-itest:" + unique_id(what) + ":"; }

/// One command on a bare RedisConnection; error replies come back as values.
inline redis::Reply run(redis::RedisConnection& conn, const std::vector<std::string>& words,
                        std::chrono::milliseconds timeout = 5s) {
    const std::vector<std::string_view> views(words.begin(), words.end());
    return conn.exchange_one(views, deadline_after(timeout), true);
}

inline redis::RedisConnection connect_redis(redis::RedisConnectSpec spec = {}) {
    if (spec.endpoint.port == 0) spec.endpoint = redis_master();
    return redis::RedisConnection::connect(spec, deadline_after(5s));
}

/// A connection outside any pool, for looking at the server from the side.
class RedisObserver {
public:
    RedisObserver() : conn_(connect_redis({.client_name = "ucm-itest-observer"})) {}
    redis::Reply run(const std::vector<std::string>& words) { return test::run(conn_, words); }

    /// The CLIENT LIST lines of clients named `name`.
    std::vector<std::string> clients_named(const std::string& name) {
        std::vector<std::string> out;
        std::istringstream lines(run({"CLIENT", "LIST"}).as_string());
        for (std::string line; std::getline(lines, line);) {
            if (line.find(" name=" + name + " ") != std::string::npos) out.push_back(line);
        }
        return out;
    }
    std::size_t count_named(const std::string& name) { return clients_named(name).size(); }

private:
    redis::RedisConnection conn_;
};

/// A config with only Redis (the sandbox master), for RedisPools; sizes as given.
inline Config redis_config(std::string_view id_prefix, std::size_t size = 2, std::size_t overflow = 1) {
    Config config;
    config.manager.mode = ManagerMode::AsyncModern;
    config.manager.id = unique_id(id_prefix);
    config.pool.size = size;
    config.pool.max_overflow = overflow;
    config.pool.acquire_timeout = 2s;
    config.redis = RedisOptions{.topology = RedisStandalone{.endpoint = redis_master()},
                                .connect_timeout = 2s,
                                .command_timeout = 5s};
    return config;
}

inline std::string client_name_of(const Config& config) {
    return "ucm/" + std::string(to_string(config.manager.mode)) + "/" + config.manager.id;
}

/// RedisPools to the sandbox master, named like the manager names its clients.
inline std::unique_ptr<RedisPools> redis_pools(const Config& config, RedisPools::ErrorHook hook = {}) {
    const Endpoint target = redis_master();
    return std::make_unique<RedisPools>(config, RedisPools::Routing{.master = [target](Deadline) { return target; }},
                                        client_name_of(config), std::move(hook));
}

inline const PoolHealth& redis_pool_of(const std::vector<PoolHealth>& pools, ConnectionMode access) {
    for (const auto& p : pools) {
        if (p.access == access) return p;
    }
    throw std::runtime_error("no redis pool for that access");
}

}  // namespace ucm::test

namespace ucm::test {

/// Redis through Sentinel, as a service would configure it; quick probes so tests notice a
/// stalled sentinel within about a second and a half.
inline RedisOptions sentinel_redis(const std::string& sentinels, const std::string& master_name) {
    return RedisOptions{.topology = RedisSentinel{.sentinels = endpoint_list(sentinels), .master_name = master_name},
                        .connect_timeout = 2s,
                        .command_timeout = 3s};
}

}  // namespace ucm::test
