#pragma once
// A direct libpq connection, outside ucm, for the checks `ucm demo` makes of the servers themselves
// (timestamping the end of the promotion, reading the ids back). The CLI links libucm's public API
// only, so it cannot borrow the library's internal libpq driver; this is the small blocking
// equivalent. Driven without blocking, every call bounded by a deadline (a stalled server must not
// hang the demo, ENVIRONMENT gotcha 10).

#include <ucm/core/deadline.hpp>

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

namespace ucm::cli {

/// Thread safety: not thread-safe; one thread uses it.
class DirectPg {
  public:
    DirectPg(int port, Deadline deadline);
    /// The first column of every row of the last result of `sql` (NULL as ""). Throws
    /// std::runtime_error naming the statement and the port.
    std::vector<std::string> column0(const std::string& sql, Deadline deadline);

  private:
    struct Closer {
        void operator()(PGconn* c) const { PQfinish(c); }
    };
    [[noreturn]] void fail(const std::string& what) const;
    void wait_socket(short events, Deadline deadline, const std::string& what) const;

    int port_;
    std::unique_ptr<PGconn, Closer> conn_;
};

}  // namespace ucm::cli
