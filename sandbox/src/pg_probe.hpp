#pragma once

#include "posix_util.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace ucm::sandbox::detail {

/// Rows of text; NULL reads as "".
struct PgRows {
    std::vector<std::vector<std::string>> rows{};
    [[nodiscard]] std::string value(std::size_t row = 0, std::size_t column = 0) const;
};

/// A libpq connection driven without blocking, so every call honours its deadline even when the
/// server is SIGSTOPped (PQexec would wait forever, ENVIRONMENT gotcha 10).
class PgProbe {
  public:
    /// Connects to 127.0.0.1:`port` as postgres. Returns nullopt with `error` set on failure.
    static std::optional<PgProbe> connect(int port, Deadline deadline, std::string& error,
                                          std::string_view dbname = "postgres");

    PgProbe(PgProbe&&) noexcept;
    PgProbe& operator=(PgProbe&&) noexcept;
    ~PgProbe();

    /// Runs `sql` (simple protocol, several statements allowed); the last row set is returned.
    std::optional<PgRows> query(std::string_view sql, Deadline deadline, std::string& error);

  private:
    explicit PgProbe(pg_conn* conn);
    struct Closer {
        void operator()(pg_conn* conn) const;
    };
    std::unique_ptr<pg_conn, Closer> conn_;
};

/// Connects, runs `sql`, disconnects. Throws std::runtime_error naming `what` on failure.
PgRows pg_exec(int port, std::string_view sql, Deadline deadline, std::string_view what);

/// As pg_exec but returns nullopt and sets `error` instead of throwing.
std::optional<PgRows> pg_try(int port, std::string_view sql, Deadline deadline, std::string& error,
                             std::string_view dbname = "postgres");

}  // namespace ucm::sandbox::detail
