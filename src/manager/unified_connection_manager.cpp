#include "manager/manager_impl.hpp"

namespace ucm {

UnifiedConnectionManager::UnifiedConnectionManager(Config config)
    : impl_(std::make_shared<Impl>(std::move(config))) {}

UnifiedConnectionManager::~UnifiedConnectionManager() = default;

pg::Connection UnifiedConnectionManager::do_connection(ConnectionMode mode, std::source_location site) {
    return impl_->acquire(mode, site);
}

ConnectionInfo UnifiedConnectionManager::connection_info() const {
    return {.mode = impl_->config.manager.mode,
            .id = impl_->config.manager.id,
            .application_name = impl_->application_name,
            .allowed_access = impl_->allowed,
            .endpoints = impl_->endpoints(),
            .redis_pools = impl_->redis ? impl_->redis->pool_health() : std::vector<PoolHealth>{}};
}

redis::Connection UnifiedConnectionManager::redis(ConnectionMode mode, std::source_location site) {
    return impl_->acquire_redis(mode, site);
}

HealthReport UnifiedConnectionManager::health_check() { return impl_->health_check(); }

bool UnifiedConnectionManager::shutdown(std::chrono::milliseconds wait) { return impl_->shutdown(wait); }

const Config& UnifiedConnectionManager::config() const noexcept { return impl_->config; }

}  // namespace ucm
