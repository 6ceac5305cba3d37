#pragma once
// The one place libpq enters ucm (STYLE B1): RAII owners for PGconn and PGresult, and the
// definition of Result::Data. Everything else in src/pg includes this file, never <libpq-fe.h>.

#include <ucm/pg/result.hpp>

#include <libpq-fe.h>

#include <memory>

namespace ucm::pg {

struct PgConnDeleter {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

struct Result::Data {
    PgResultPtr result;
};

inline Result make_result(PgResultPtr result) {
    auto data = std::make_shared<Result::Data>();
    data->result = std::move(result);
    return Result(std::move(data));
}

}  // namespace ucm::pg
