#include <ucm/core/error.hpp>

#include <utility>

namespace ucm {

Error::Error(ErrorInfo info, std::source_location where)
    : std::runtime_error(std::move(info.message)),
      code_(info.code),
      retriable_(info.retriable.value_or(default_retriable(info.code))),
      poisons_(info.poisons_connection),
      sqlstate_(std::move(info.sqlstate)),
      endpoint_(std::move(info.endpoint)),
      where_(where) {}

bool default_retriable(Errc code) noexcept {
    switch (code) {
        case Errc::pool_timeout:
        case Errc::queue_full:
        case Errc::circuit_open:
        case Errc::no_primary:
        case Errc::connection_failed:
        case Errc::deadline_exceeded:
            return true;
        default:
            return false;
    }
}

ConfigInvalid::ConfigInvalid(const std::string& field_path, const std::string& problem,
                             std::source_location where)
    : Error({.code = Errc::config_invalid, .message = field_path + ": " + problem}, where),
      field_(field_path) {}

namespace {
ErrorInfo with_code(ErrorInfo info, Errc code) {
    info.code = code;
    return info;
}
}  // namespace

#define UCM_DEFINE_ERROR(Name, code)                                       \
    Name::Name(ErrorInfo info, std::source_location where)                 \
        : Error(with_code(std::move(info), Errc::code), where) {}

UCM_DEFINE_ERROR(AccessDenied, access_denied)
UCM_DEFINE_ERROR(PoolTimeout, pool_timeout)
UCM_DEFINE_ERROR(QueueFull, queue_full)
UCM_DEFINE_ERROR(CircuitOpen, circuit_open)
UCM_DEFINE_ERROR(NoPrimary, no_primary)
UCM_DEFINE_ERROR(ConnectionFailed, connection_failed)
UCM_DEFINE_ERROR(AuthFailed, auth_failed)
UCM_DEFINE_ERROR(DeadlineExceeded, deadline_exceeded)
UCM_DEFINE_ERROR(QueryFailed, query_failed)
UCM_DEFINE_ERROR(InDoubt, in_doubt)
UCM_DEFINE_ERROR(RedisError, redis_error)
UCM_DEFINE_ERROR(ShutDown, shut_down)

#undef UCM_DEFINE_ERROR

}  // namespace ucm
