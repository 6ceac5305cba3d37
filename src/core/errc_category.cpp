#include <ucm/core/errc.hpp>

#include <string>

namespace ucm {
namespace {

class ErrcCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "ucm"; }
    std::string message(int value) const override { return to_string(static_cast<Errc>(value)); }
};

}  // namespace

const char* to_string(Errc e) noexcept {
    switch (e) {
        case Errc::config_invalid: return "config_invalid";
        case Errc::access_denied: return "access_denied";
        case Errc::pool_timeout: return "pool_timeout";
        case Errc::queue_full: return "queue_full";
        case Errc::circuit_open: return "circuit_open";
        case Errc::no_primary: return "no_primary";
        case Errc::connection_failed: return "connection_failed";
        case Errc::auth_failed: return "auth_failed";
        case Errc::deadline_exceeded: return "deadline_exceeded";
        case Errc::query_failed: return "query_failed";
        case Errc::read_only_violation: return "read_only_violation";
        case Errc::in_doubt: return "in_doubt";
        case Errc::redis_error: return "redis_error";
        case Errc::shut_down: return "shut_down";
        case Errc::pipeline_aborted: return "pipeline_aborted";
    }
    return "unknown";
}

// Defined out of line in the shared library: one singleton, so comparisons hold across the .so.
const std::error_category& error_category() noexcept {
    static const ErrcCategory category;
    return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace ucm
