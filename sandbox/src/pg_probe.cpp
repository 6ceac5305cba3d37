#include "pg_probe.hpp"

#include <libpq-fe.h>

#include <poll.h>
#include <stdexcept>
#include <string>

namespace ucm::sandbox::detail {
namespace {

void ignore_notice(void*, const PGresult*) {}

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// Waits for `events` on `fd`; false on timeout.
bool wait_fd(int fd, short events, Deadline deadline) {
    for (;;) {
        pollfd pfd{fd, events, 0};
        int timeout = ms_until(deadline);
        int rc = ::poll(&pfd, 1, timeout);
        if (rc > 0) return true;
        if (rc == 0 && Clock::now() >= deadline) return false;
    }
}

}  // namespace

std::string PgRows::value(std::size_t row, std::size_t column) const {
    if (row >= rows.size() || column >= rows[row].size()) return {};
    return rows[row][column];
}

void PgProbe::Closer::operator()(pg_conn* conn) const { PQfinish(conn); }

PgProbe::PgProbe(pg_conn* conn) : conn_(conn) {}
PgProbe::PgProbe(PgProbe&&) noexcept = default;
PgProbe& PgProbe::operator=(PgProbe&&) noexcept = default;
PgProbe::~PgProbe() = default;

std::optional<PgProbe> PgProbe::connect(int port, Deadline deadline, std::string& error,
                                        std::string_view dbname) {
    const std::string port_text = std::to_string(port);
    const std::string db(dbname);
    // hostaddr: no name lookup, which PQconnectStart would do blocking.
    const char* keys[] = {"hostaddr",         "port",    "user",       "dbname",
                          "application_name", "sslmode", "gssencmode", nullptr};
    const char* values[] = {"127.0.0.1",   port_text.c_str(), "postgres", db.c_str(),
                            "ucm-sandbox", "disable",         "disable",  nullptr};
    PgProbe probe(PQconnectStartParams(keys, values, 0));
    if (!probe.conn_) {
        error = "out of memory";
        return std::nullopt;
    }
    PGconn* conn = probe.conn_.get();
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) break;
        short events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait_fd(PQsocket(conn), events, deadline)) {
            error = "connect to :" + port_text + " timed out";
            return std::nullopt;
        }
        status = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        error = trimmed(PQerrorMessage(conn));
        return std::nullopt;
    }
    PQsetNoticeReceiver(conn, ignore_notice, nullptr);
    PQsetnonblocking(conn, 1);
    return probe;
}

std::optional<PgRows> PgProbe::query(std::string_view sql, Deadline deadline, std::string& error) {
    PGconn* conn = conn_.get();
    const std::string text(sql);
    if (PQsendQuery(conn, text.c_str()) == 0) {
        error = trimmed(PQerrorMessage(conn));
        return std::nullopt;
    }
    int flushed = 0;
    while ((flushed = PQflush(conn)) == 1) {
        if (!wait_fd(PQsocket(conn), POLLIN | POLLOUT, deadline)) {
            error = "query timed out";
            return std::nullopt;
        }
        PQconsumeInput(conn);
    }
    if (flushed < 0) {
        error = trimmed(PQerrorMessage(conn));
        return std::nullopt;
    }
    PgRows rows;
    std::string failure;
    for (;;) {
        while (PQisBusy(conn) == 1) {
            if (!wait_fd(PQsocket(conn), POLLIN, deadline)) {
                error = "query timed out";
                return std::nullopt;
            }
            if (PQconsumeInput(conn) == 0) {
                error = trimmed(PQerrorMessage(conn));
                return std::nullopt;
            }
        }
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK) {
            rows.rows.clear();
            for (int r = 0; r < PQntuples(result); ++r) {
                std::vector<std::string> row;
                for (int c = 0; c < PQnfields(result); ++c) row.emplace_back(PQgetvalue(result, r, c));
                rows.rows.push_back(std::move(row));
            }
        } else if (status != PGRES_COMMAND_OK && failure.empty()) {
            failure = trimmed(PQresultErrorMessage(result));
        }
        PQclear(result);
    }
    if (!failure.empty()) {
        error = failure;
        return std::nullopt;
    }
    return rows;
}

std::optional<PgRows> pg_try(int port, std::string_view sql, Deadline deadline, std::string& error,
                             std::string_view dbname) {
    auto probe = PgProbe::connect(port, deadline, error, dbname);
    if (!probe) return std::nullopt;
    return probe->query(sql, deadline, error);
}

PgRows pg_exec(int port, std::string_view sql, Deadline deadline, std::string_view what) {
    std::string error;
    auto rows = pg_try(port, sql, deadline, error);
    if (!rows) {
        throw std::runtime_error(std::string(what) + ": `" + std::string(sql) + "` failed: " + error);
    }
    return *rows;
}

}  // namespace ucm::sandbox::detail
