#include <ucm/core/pg_options.hpp>

namespace ucm {

std::string_view to_string(SslMode mode) noexcept {
    switch (mode) {
        case SslMode::Disable:
            return "disable";
        case SslMode::Allow:
            return "allow";
        case SslMode::Prefer:
            return "prefer";
        case SslMode::Require:
            return "require";
        case SslMode::VerifyCa:
            return "verify-ca";
        case SslMode::VerifyFull:
            return "verify-full";
    }
    return "unknown";
}

std::string_view to_string(ReadOnlyFallback fallback) noexcept {
    return fallback == ReadOnlyFallback::Allow ? "allow" : "forbid";
}

std::string_view to_string(ReadPolicy policy) noexcept {
    return policy == ReadPolicy::RoundRobin ? "round_robin" : "nearest";
}

}  // namespace ucm
