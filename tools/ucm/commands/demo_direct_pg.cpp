#include "commands/demo_direct_pg.hpp"

#include <fmt/format.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace ucm::cli {
namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

DirectPg::DirectPg(int port, Deadline deadline) : port_(port) {
    const std::string conninfo =
        fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres application_name=ucm-demo-check", port);
    conn_.reset(PQconnectStart(conninfo.c_str()));
    if (!conn_ || PQstatus(conn_.get()) == CONNECTION_BAD) fail("connect");
    PQsetNoticeReceiver(
        conn_.get(), [](void*, const PGresult*) {}, nullptr);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) fail("connect");
        wait_socket(st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, "connect");
        st = PQconnectPoll(conn_.get());
    }
}

std::vector<std::string> DirectPg::column0(const std::string& sql, Deadline deadline) {
    PGconn* c = conn_.get();
    if (PQsendQuery(c, sql.c_str()) == 0) fail(sql);
    int flushed = 0;
    while ((flushed = PQflush(c)) == 1) wait_socket(POLLOUT, deadline, sql);
    if (flushed < 0) fail(sql);
    std::vector<std::string> out;
    std::string error;
    for (;;) {
        while (PQisBusy(c) != 0) {
            wait_socket(POLLIN, deadline, sql);
            if (PQconsumeInput(c) == 0) fail(sql);
        }
        std::unique_ptr<PGresult, decltype(&PQclear)> res(PQgetResult(c), &PQclear);
        if (!res) break;
        if (PQresultStatus(res.get()) == PGRES_TUPLES_OK) {
            out.clear();
            const int rows = PQntuples(res.get());
            out.reserve(static_cast<std::size_t>(rows));
            for (int r = 0; r < rows; ++r) out.emplace_back(PQgetvalue(res.get(), r, 0));
        } else if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
            error = PQresultErrorMessage(res.get());
        }
    }
    if (!error.empty()) throw std::runtime_error(fmt::format("{} on :{}: {}", sql, port_, trim(error)));
    return out;
}

void DirectPg::fail(const std::string& what) const {
    // No password is used here, so libpq's message cannot contain one.
    throw std::runtime_error(
        fmt::format("{} on :{}: {}", what, port_, conn_ ? trim(PQerrorMessage(conn_.get())) : "out of memory"));
}

void DirectPg::wait_socket(short events, Deadline deadline, const std::string& what) const {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(remaining(deadline)).count();
        if (left <= 0) throw std::runtime_error(fmt::format("{} on :{}: deadline passed", what, port_));
        pollfd pfd{.fd = PQsocket(conn_.get()), .events = events, .revents = 0};
        const int n = ::poll(&pfd, 1, static_cast<int>(std::min<std::int64_t>(left, 1'000)));
        if (n > 0) return;
        if (n < 0 && errno != EINTR) fail(what);
    }
}

}  // namespace ucm::cli
