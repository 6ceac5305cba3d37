#include <ucm/core/error.hpp>
#include <ucm/pool/pool_options.hpp>

#include <string>

namespace ucm::pool {

namespace {

[[noreturn]] void reject(const char* field, const std::string& problem) {
    throw ConfigInvalid(std::string("pool.") + field, problem);
}

void require_positive(const char* field, std::chrono::milliseconds value) {
    if (value.count() <= 0) reject(field, "must be > 0 ms, got " + std::to_string(value.count()));
}

void require_non_negative(const char* field, std::chrono::milliseconds value) {
    if (value.count() < 0) reject(field, "must be >= 0 ms, got " + std::to_string(value.count()));
}

}  // namespace

void validate(const PoolOptions& o) {
    if (o.size < 1 || o.size > 10'000) reject("size", "must be 1..10000, got " + std::to_string(o.size));
    if (o.max_overflow > 1'000) {
        reject("max_overflow", "must be <= 1000, got " + std::to_string(o.max_overflow));
    }
    if (o.min_idle > o.size) {
        reject("min_idle",
               "must be <= size (" + std::to_string(o.size) + "), got " + std::to_string(o.min_idle));
    }
    require_positive("acquire_timeout", o.acquire_timeout);
    require_positive("connect_timeout", o.connect_timeout);
    require_non_negative("connect_retry_interval", o.connect_retry_interval);
    require_positive("reset_timeout", o.reset_timeout);
    require_non_negative("validate_after_idle", o.validate_after_idle);
    if (o.idle_timeout) require_positive("idle_timeout", *o.idle_timeout);
    if (o.max_lifetime) require_positive("max_lifetime", *o.max_lifetime);
    if (o.leak_threshold) require_positive("leak_threshold", *o.leak_threshold);
    if (!(o.lifetime_jitter >= 0.0 && o.lifetime_jitter <= 0.5)) {  // also rejects NaN
        reject("lifetime_jitter", "must be 0.0..0.5, got " + std::to_string(o.lifetime_jitter));
    }
}

}  // namespace ucm::pool
