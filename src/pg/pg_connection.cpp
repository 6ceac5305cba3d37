#include "pg/pg_connection.hpp"

#include "core/watched_socket.hpp"

#include "core/redact.hpp"
#include "pg/pg_error.hpp"

#include <fmt/format.h>

#include <poll.h>

#include <atomic>
#include <charconv>
#include <list>
#include <thread>
#include <utility>
#include <unordered_map>

namespace ucm::pg {

// Heap state, so the notice receiver's context pointer stays valid when PgConnection moves.
struct PgConnection::State {
    PgConnPtr conn;
    std::string endpoint;
    std::vector<std::string> secrets;  // password and sslpassword, only to scrub them from messages
    bool sync_rep_cancelled = false;

    // Command in flight.
    PgResultPtr first_error;
    PgResultPtr last_result;
    bool broken = false;

    // Prepared statements: sql -> name, most recently used at the front.
    std::size_t cache_capacity = 64;
    std::list<std::pair<std::string, std::string>> lru;
    std::unordered_map<std::string_view, std::list<std::pair<std::string, std::string>>::iterator> by_sql;
    std::uint64_t next_statement = 0;
    std::vector<std::string> to_deallocate;  // evicted names, dropped on the next reset

    // Set when a command was just queued: nothing can have arrived yet, so the first step flushes
    // and waits without a recv() that would only say EAGAIN (one syscall less per statement).
    bool just_sent = false;
    std::string key_buffer;  // the statement cache's lookup key, reused across statements
    // The session may have run LISTEN: its channels must not follow the connection into the pool.
    bool maybe_listening = false;

    // A prepare sent ahead of its execution.
    bool executing_after_prepare = false;
    std::string pending_name;
    std::vector<Param> pending_params;

    // The socket as registered with a coroutine's io_context (see watched()). Declared last, so
    // destroyed first: released before PQfinish closes the socket.
    std::unique_ptr<WatchedSocket> watch;
};

namespace {

void on_notice(void* arg, const PGresult* result) {
    auto* state = static_cast<PgConnection::State*>(arg);
    const char* message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    // PostgreSQL turns a cancelled wait for synchronous replication into a WARNING; the commit
    // happened locally but may be lost with the primary: the caller must learn it is in doubt.
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    auto mentions = [](const char* text, std::string_view what) {
        return text != nullptr && std::string_view(text).find(what) != std::string_view::npos;
    };
    if (mentions(message, "wait for synchronous replication") || mentions(detail, "already committed locally")) {
        state->sync_rep_cancelled = true;
    }
    // libpq hands an error that arrives on an idle connection (pg_terminate_backend's FATAL) to the
    // notice receiver; the session is over even before the EOF behind it is read.
    const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr && (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
        state->broken = true;
    }
}

std::string scrub(std::string_view text, const std::vector<std::string>& secrets) {
    return ucm::detail::redact(text, std::vector<std::string_view>(secrets.begin(), secrets.end()));
}

// Case-insensitive search for LISTEN in a statement; a false positive costs one UNLISTEN at release.
bool mentions_listen(std::string_view sql) {
    constexpr std::string_view kWord = "listen";
    if (sql.size() < kWord.size()) return false;
    for (std::size_t i = 0; i + kWord.size() <= sql.size(); ++i) {
        std::size_t k = 0;
        while (k < kWord.size() && (sql[i + k] | 0x20) == kWord[k]) ++k;
        if (k == kWord.size()) return true;
    }
    return false;
}

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// libpq 15 gives no SQLSTATE for a failed connection attempt; its message is all there is.
std::string connect_sqlstate(std::string_view message) {
    auto has = [&](std::string_view s) { return message.find(s) != std::string_view::npos; };
    if (has("password authentication failed") || has("no password supplied") ||
        has("authentication failed") || has("no pg_hba.conf entry")) {
        return "28P01";
    }
    if (has("too many clients") || has("remaining connection slots")) return "53300";
    if (has("the database system is starting up") || has("the database system is shutting down") ||
        has("the database system is in recovery mode") || has("not yet accepting connections")) {
        return "57P03";
    }
    if (has("role \"") && has("does not exist")) return "28000";  // a login role that is not there
    if (has("does not exist")) return "3D000";
    return "08001";
}

struct ParamArrays {
    std::vector<Oid> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    explicit ParamArrays(std::span<const Param> params) {
        types.reserve(params.size());
        values.reserve(params.size());
        lengths.reserve(params.size());
        formats.reserve(params.size());
        for (const auto& p : params) {
            types.push_back(p.type_oid);
            values.push_back(p.is_null ? nullptr : p.value.data());
            lengths.push_back(static_cast<int>(p.value.size()));
            formats.push_back(p.binary ? 1 : 0);
        }
    }
    int count() const { return static_cast<int>(types.size()); }
};

}  // namespace

PgConnection::PgConnection(std::unique_ptr<State> state)
    : state_(std::move(state)), endpoint_(state_->endpoint) {}
PgConnection::PgConnection(PgConnection&&) noexcept = default;
PgConnection& PgConnection::operator=(PgConnection&&) noexcept = default;
PgConnection::~PgConnection() = default;

PgConnection PgConnection::start(const ConnectSpec& spec) {
    std::vector<const char*> keys;
    std::vector<const char*> values;
    std::vector<std::string> secrets;
    for (const auto& [key, value] : spec.keywords) {
        keys.push_back(key.c_str());
        values.push_back(value.c_str());
        if (key == "password" || key == "sslpassword") secrets.push_back(value);
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    auto state = std::make_unique<State>();
    state->endpoint = spec.endpoint;
    state->secrets = std::move(secrets);
    state->conn.reset(PQconnectStartParams(keys.data(), values.data(), 0));
    PgConnection connection(std::move(state));
    if (!connection.state_->conn || PQstatus(connection.state_->conn.get()) == CONNECTION_BAD) {
        connection.fail_from_connection(true);
    }
    PQsetNoticeReceiver(connection.state_->conn.get(), on_notice, connection.state_.get());
    if (PQsetnonblocking(connection.state_->conn.get(), 1) != 0) connection.fail_from_connection(true);
    return connection;
}

namespace {
// libpq's messages span lines ("Connection refused\n\tIs the server running ..."): one line reads
// better in logs, health reports and JSON.
std::string one_line(std::string s) {
    std::string out;
    out.reserve(s.size());
    bool gap = false;
    for (char c : s) {
        if (c == '\n' || c == '\r' || c == '\t') {
            gap = true;
            continue;
        }
        if (gap && !out.empty()) out += out.back() == ':' || out.back() == ';' ? " " : "; ";
        gap = false;
        out += c;
    }
    return out;
}
}  // namespace

void PgConnection::fail_from_connection(bool at_connect) {
    std::string message = state_->conn ? trim(PQerrorMessage(state_->conn.get())) : "connection closed";
    if (message.empty()) message = "connection closed";
    message = one_line(scrub(std::move(message), state_->secrets));
    state_->broken = true;
    std::string sqlstate = at_connect ? connect_sqlstate(message) : "08006";
    const auto cls = classify_sqlstate(sqlstate, "FATAL", at_connect);  // before sqlstate is moved
    throw_pg_error(cls, std::move(message), std::move(sqlstate), state_->endpoint);
}

IoWait PgConnection::connect_step() {
    switch (PQconnectPoll(state_->conn.get())) {
        case PGRES_POLLING_READING: return IoWait::read;
        case PGRES_POLLING_WRITING: return IoWait::write;
        case PGRES_POLLING_OK: return IoWait::none;
        default: fail_from_connection(true);
    }
}

void PgConnection::send_query(std::string_view sql, std::span<const Param> params) {
    if (!state_->conn) fail_from_connection(false);
    if (mentions_listen(sql)) state_->maybe_listening = true;
    // A statement is prepared with its parameters' types, so the same text with other types is
    // another statement ("SELECT $1 / 2" with an int and then a double must not reuse the int plan).
    // Built in a buffer the connection keeps, so a cache hit allocates nothing.
    std::string& key = state_->key_buffer;
    if (state_->cache_capacity != 0) {
        key.assign(sql);
        key += '\0';
        for (const auto& p : params) {
            char digits[12];
            auto [end, ec] = std::to_chars(digits, digits + sizeof digits, p.type_oid);
            (void)ec;  // 12 bytes hold any 32-bit OID
            key.append(digits, end);
            key += ',';
        }
    }
    state_->sync_rep_cancelled = false;
    state_->first_error.reset();
    state_->last_result.reset();
    state_->executing_after_prepare = false;
    PGconn* conn = state_->conn.get();
    ParamArrays arrays(params);
    const std::string sql_text(sql);
    int ok = 0;
    if (state_->cache_capacity == 0) {
        ok = PQsendQueryParams(conn, sql_text.c_str(), arrays.count(), arrays.types.data(), arrays.values.data(),
                               arrays.lengths.data(), arrays.formats.data(), 0);
    } else if (auto it = state_->by_sql.find(key); it != state_->by_sql.end()) {
        state_->lru.splice(state_->lru.begin(), state_->lru, it->second);
        ok = PQsendQueryPrepared(conn, it->second->second.c_str(), arrays.count(), arrays.values.data(),
                                 arrays.lengths.data(), arrays.formats.data(), 0);
    } else {
        // First use: prepare now, execute when the prepare's result arrives (query_step).
        std::string name = fmt::format("ucm_{}", state_->next_statement++);
        ok = PQsendPrepare(conn, name.c_str(), sql_text.c_str(), arrays.count(), arrays.types.data());
        state_->executing_after_prepare = true;
        state_->pending_name = name;
        state_->pending_params.assign(params.begin(), params.end());
        state_->lru.emplace_front(key, std::move(name));
        state_->by_sql[state_->lru.front().first] = state_->lru.begin();
        if (state_->lru.size() > state_->cache_capacity) {
            auto& oldest = state_->lru.back();
            state_->to_deallocate.push_back(oldest.second);
            state_->by_sql.erase(oldest.first);
            state_->lru.pop_back();
        }
    }
    if (ok == 0) fail_from_connection(false);
    state_->just_sent = true;
}

void PgConnection::send_simple(std::string_view sql) {
    if (!state_->conn) fail_from_connection(false);
    if (mentions_listen(sql)) state_->maybe_listening = true;
    state_->sync_rep_cancelled = false;
    state_->first_error.reset();
    state_->last_result.reset();
    state_->executing_after_prepare = false;
    if (PQsendQuery(state_->conn.get(), std::string(sql).c_str()) == 0) fail_from_connection(false);
    state_->just_sent = true;
}

IoWait PgConnection::query_step() {
    PGconn* conn = state_->conn.get();
    if (conn == nullptr) fail_from_connection(false);
    for (;;) {
        // Flush before reading, and keep reading while flushing: a large command must not deadlock
        // against a server that is itself blocked writing results we have not read.
        const int flushed = PQflush(conn);
        if (flushed < 0) fail_from_connection(false);
        if (std::exchange(state_->just_sent, false)) return flushed == 1 ? IoWait::read_write : IoWait::read;
        if (PQconsumeInput(conn) == 0) fail_from_connection(false);
        if (flushed == 1) return IoWait::read_write;
        while (PQisBusy(conn) == 0) {
            PgResultPtr result(PQgetResult(conn));
            if (!result) {
                if (!state_->executing_after_prepare) return IoWait::none;
                // The prepare finished: forget the name if it failed, else execute now.
                state_->executing_after_prepare = false;
                if (state_->first_error) {
                    state_->by_sql.erase(state_->lru.front().first);
                    state_->lru.pop_front();
                    return IoWait::none;
                }
                ParamArrays arrays(state_->pending_params);
                if (PQsendQueryPrepared(conn, state_->pending_name.c_str(), arrays.count(), arrays.values.data(),
                                        arrays.lengths.data(), arrays.formats.data(), 0) == 0) {
                    fail_from_connection(false);
                }
                state_->just_sent = true;
                state_->last_result.reset();
                break;  // back to flushing
            }
            switch (PQresultStatus(result.get())) {
                case PGRES_FATAL_ERROR:
                    if (!state_->first_error) state_->first_error = std::move(result);
                    break;
                case PGRES_COPY_IN:
                case PGRES_COPY_OUT:
                case PGRES_COPY_BOTH:
                    // ucm does not speak COPY through this path; the session state is unknown now.
                    state_->broken = true;
                    close();
                    fail_from_connection(false);
                default:
                    state_->last_result = std::move(result);
            }
        }
        if (PQisBusy(conn) != 0) return IoWait::read;
    }
}

Result PgConnection::take_result() {
    if (state_->first_error) {
        const PgResultPtr error = std::move(state_->first_error);
        throw_result_error(error.get());
    }
    return make_result(std::move(state_->last_result));
}

void PgConnection::throw_result_error(const PGresult* r) {
    auto field = [r](int code) {
        const char* v = PQresultErrorField(r, code);
        return std::string(v ? v : "");
    };
    std::string sqlstate = field(PG_DIAG_SQLSTATE);
    std::string severity = field(PG_DIAG_SEVERITY_NONLOCALIZED);
    std::string message = scrub(field(PG_DIAG_MESSAGE_PRIMARY), state_->secrets);
    if (sqlstate == "0A000" && message.find("cached plan must not change result type") != std::string::npos) {
        // The table changed under a cached plan: drop every cached statement so the retry
        // prepares afresh.
        for (auto& [sql, name] : state_->lru) state_->to_deallocate.push_back(name);
        state_->lru.clear();
        state_->by_sql.clear();
    }
    auto cls = classify_sqlstate(sqlstate, severity, false);
    if (cls.poisons) state_->broken = true;
    throw_pg_error(cls, std::move(message), std::move(sqlstate), state_->endpoint);
}

void PgConnection::enter_pipeline() {
    if (!state_->conn) fail_from_connection(false);
    state_->sync_rep_cancelled = false;
    state_->first_error.reset();
    state_->last_result.reset();
    state_->executing_after_prepare = false;
    if (PQenterPipelineMode(state_->conn.get()) == 0) fail_from_connection(false);
}

void PgConnection::note_sent(std::string_view sql) {
    if (mentions_listen(sql)) state_->maybe_listening = true;
}

PGconn* PgConnection::handle() const noexcept { return state_->conn.get(); }

bool PgConnection::is_alive_and_idle() {
    PGconn* conn = state_->conn.get();
    if (state_->broken || PQstatus(conn) != CONNECTION_OK) return false;
    // Read everything already waiting, EOF included: one PQconsumeInput returns the bytes of a
    // FATAL message without noticing the EOF right behind them.
    for (int reads = 0; reads < 4; ++reads) {
        pollfd pfd{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
        if (::poll(&pfd, 1, 0) <= 0) break;
        if (PQconsumeInput(conn) == 0) return false;  // EOF or a socket error
    }
    if (state_->broken || PQstatus(conn) != CONNECTION_OK) return false;
    // A FATAL sent by pg_terminate_backend arrives as an unsolicited result on an idle connection.
    if (PQisBusy(conn) == 0) {
        PgResultPtr stray(PQgetResult(conn));
        if (stray) return false;
    }
    return PQtransactionStatus(conn) == PQTRANS_IDLE;
}

PgConnection::TxStatus PgConnection::tx_status() const {
    switch (PQtransactionStatus(state_->conn.get())) {
        case PQTRANS_IDLE: return TxStatus::idle;
        case PQTRANS_INTRANS: return TxStatus::in_transaction;
        case PQTRANS_INERROR: return TxStatus::in_error;
        case PQTRANS_ACTIVE: return TxStatus::active;
        default: return TxStatus::unknown;
    }
}

std::string PgConnection::parameter(const char* name) const {
    const char* value = PQparameterStatus(state_->conn.get(), name);
    return value ? value : "";
}

int PgConnection::socket() const { return PQsocket(state_->conn.get()); }

bool PgConnection::is_bad() const {
    return state_->broken || !state_->conn || PQstatus(state_->conn.get()) == CONNECTION_BAD;
}

bool PgConnection::sync_rep_wait_cancelled() const { return state_->sync_rep_cancelled; }

void PgConnection::close() {
    state_->broken = true;
    state_->watch.reset();
    state_->conn.reset();  // PQfinish closes the socket; later steps fail
}

WatchedSocket& PgConnection::watched(const asio::any_io_executor& ex) {
    const int fd = socket();
    if (!state_->watch || !state_->watch->serves(ex, fd)) {
        state_->watch.reset();  // first, so the descriptor is never registered twice
        state_->watch = std::make_unique<WatchedSocket>(ex, fd);
    }
    return *state_->watch;
}

void PgConnection::unwatch() noexcept { state_->watch.reset(); }

namespace {
// Cancels in flight at once. Against a stopped postmaster each PQcancel blocks until the server
// returns, so without a bound every missed deadline would leave one more thread behind.
std::atomic<int> cancels_in_flight{0};
constexpr int kMaxCancelsInFlight = 8;
}  // namespace

void PgConnection::cancel_in_background() noexcept {
    if (!state_->conn) return;
    if (cancels_in_flight.fetch_add(1) >= kMaxCancelsInFlight) {
        cancels_in_flight.fetch_sub(1);
        return;  // closing the connection is enough; the server notices at its next write
    }
    PGcancel* cancel = PQgetCancel(state_->conn.get());
    if (cancel == nullptr) {
        cancels_in_flight.fetch_sub(1);
        return;
    }
    // libpq 15's PQcancel blocks with no timeout (it hangs on a stopped postmaster): send it from a
    // thread nobody waits on.
    try {
        std::thread([cancel] {
            char error[256];
            PQcancel(cancel, error, sizeof error);
            PQfreeCancel(cancel);
            cancels_in_flight.fetch_sub(1);
        }).detach();
    } catch (...) {  // no thread to be had: skip the cancel, the caller closes anyway
        PQfreeCancel(cancel);
        cancels_in_flight.fetch_sub(1);
    }
}

int PgConnection::backend_pid() const { return state_->conn ? PQbackendPID(state_->conn.get()) : 0; }

std::string PgConnection::take_deallocations() {
    std::string sql;
    for (const auto& name : state_->to_deallocate) sql += fmt::format("DEALLOCATE {};", name);
    state_->to_deallocate.clear();
    return sql;
}

bool PgConnection::take_listening() {
    bool listening = std::exchange(state_->maybe_listening, false);
    if (state_->conn) {
        while (PGnotify* n = PQnotifies(state_->conn.get())) {  // delivered to nobody: drop them
            PQfreemem(n);
            listening = true;
        }
    }
    return listening;
}

bool PgConnection::cleanup_pending() const {
    return !state_->to_deallocate.empty() || state_->maybe_listening;
}

void PgConnection::forget_statements() {
    state_->lru.clear();
    state_->by_sql.clear();
    state_->to_deallocate.clear();
}

void PgConnection::set_statement_cache_capacity(std::size_t capacity) { state_->cache_capacity = capacity; }

}  // namespace ucm::pg
