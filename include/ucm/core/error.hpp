#pragma once

#include <ucm/core/errc.hpp>
#include <ucm/export.hpp>

#include <optional>
#include <source_location>
#include <stdexcept>
#include <string>

namespace ucm {

/// Everything an Error carries besides its message (STYLE B5: properties on the base).
struct ErrorInfo {
    Errc code = Errc::connection_failed;   ///< stable code
    std::string message{};                  ///< human-readable; never contains a secret
    std::optional<bool> retriable{};        ///< may the caller retry? unset: default_retriable(code)
    bool poisons_connection = false;        ///< the connection must be closed, not pooled
    std::string sqlstate{};                 ///< five characters for PostgreSQL errors, else empty
    std::string endpoint{};                 ///< host:port, never credentials; empty when not known
};

/// The root of every exception ucm throws.
///
/// Thread safety: immutable, safe to share.
class UCM_EXPORT Error : public std::runtime_error {
public:
    explicit Error(ErrorInfo info, std::source_location where = std::source_location::current());

    [[nodiscard]] Errc code() const noexcept { return code_; }
    [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(code_); }
    [[nodiscard]] bool retriable() const noexcept { return retriable_; }
    [[nodiscard]] bool poisons_connection() const noexcept { return poisons_; }
    [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
    [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
    [[nodiscard]] const std::source_location& where() const noexcept { return where_; }

private:
    Errc code_;
    bool retriable_;
    bool poisons_;
    std::string sqlstate_;
    std::string endpoint_;
    std::source_location where_;
};

/// Whether a code is retriable when nothing more specific is known.
UCM_EXPORT bool default_retriable(Errc code) noexcept;

/// Configuration rejected: the message names the field path and the bad value, never a secret.
class UCM_EXPORT ConfigInvalid : public Error {
public:
    ConfigInvalid(const std::string& field_path, const std::string& problem,
                  std::source_location where = std::source_location::current());
    [[nodiscard]] const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

// Subclasses exist only where callers catch by type (STYLE B5); each fixes its Errc.
#define UCM_DECLARE_ERROR(Name)                                                             \
    class UCM_EXPORT Name : public Error {                                                  \
    public:                                                                                 \
        explicit Name(ErrorInfo info,                                                       \
                      std::source_location where = std::source_location::current());       \
    }

UCM_DECLARE_ERROR(AccessDenied);
UCM_DECLARE_ERROR(PoolTimeout);
UCM_DECLARE_ERROR(QueueFull);
UCM_DECLARE_ERROR(CircuitOpen);
UCM_DECLARE_ERROR(NoPrimary);
UCM_DECLARE_ERROR(ConnectionFailed);
UCM_DECLARE_ERROR(AuthFailed);
UCM_DECLARE_ERROR(DeadlineExceeded);
UCM_DECLARE_ERROR(QueryFailed);
UCM_DECLARE_ERROR(InDoubt);
UCM_DECLARE_ERROR(RedisError);
UCM_DECLARE_ERROR(ShutDown);

#undef UCM_DECLARE_ERROR

}  // namespace ucm
