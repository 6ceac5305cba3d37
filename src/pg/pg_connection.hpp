#pragma once
// One nonblocking libpq connection, as a state machine that never waits (DESIGN "Every I/O has a
// deadline"). Each step does what it can without blocking and returns what the socket must become
// ready for; a driver waits for that with poll() (blocking API, pg_wait_poll.cpp) or Asio (the
// coroutine API). Both drivers run the same steps, so the two APIs cannot drift apart.

#include "pg/libpq_handle.hpp"

#include <ucm/pg/param.hpp>
#include <ucm/pg/result.hpp>

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ucm {
class WatchedSocket;
}

namespace ucm::pg {

/// What a step needs before it can make progress.
enum class IoWait : std::uint8_t { none, read, write, read_write };

/// Everything needed to open one connection. Built by conninfo.cpp from the options; keywords go to
/// PQconnectStartParams as they are (hostaddr is already resolved, so libpq never blocks in DNS).
struct ConnectSpec {
    std::vector<std::pair<std::string, std::string>> keywords{};
    std::string endpoint{};  ///< "host:port" for messages; never credentials
};

/// Thread safety: not thread-safe; one owner at a time (the pool hands it to one lease).
class PgConnection {
public:
    /// Starts connecting (PQconnectStartParams); throws ConnectionFailed if libpq refuses at once.
    static PgConnection start(const ConnectSpec& spec);

    PgConnection(PgConnection&&) noexcept;
    PgConnection& operator=(PgConnection&&) noexcept;
    ~PgConnection();

    /// One PQconnectPoll step: IoWait::none once connected. Throws AuthFailed / ConnectionFailed.
    /// The socket can change between steps (several hosts, SSL retry): re-read socket() after each.
    IoWait connect_step();

    /// Queues a statement (PQsendQueryParams, or the prepared-statement path). Throws
    /// ConnectionFailed if the connection cannot take it.
    void send_query(std::string_view sql, std::span<const Param> params);
    /// Queues a simple-protocol command with no parameters (BEGIN, COMMIT, ROLLBACK, SET ...).
    void send_simple(std::string_view sql);

    /// Advances the command in flight: flushes what is queued, reads what arrived. IoWait::none
    /// when every result has arrived; then take_result() returns it or throws the server's error.
    IoWait query_step();
    Result take_result();

    /// Cheap liveness check, no round trip: reads whatever the server sent (a FATAL from
    /// pg_terminate_backend, EOF) and reports whether the session is still usable and idle.
    bool is_alive_and_idle();
    /// Transaction status: idle, in a transaction, in a failed transaction, active, unknown.
    enum class TxStatus : std::uint8_t { idle, in_transaction, in_error, active, unknown };
    TxStatus tx_status() const;

    /// A server parameter reported at connect or later (in_hot_standby, default_transaction_read_only).
    std::string parameter(const char* name) const;

    int socket() const;
    bool is_bad() const;
    const std::string& endpoint() const { return endpoint_; }
    /// True when a WARNING said a commit's wait for synchronous replication was cancelled: the
    /// transaction committed locally but may not be on the standby (InDoubt). Cleared by send.
    bool sync_rep_wait_cancelled() const;
    /// Closes the socket now; a later step fails with ConnectionFailed. Used on a missed deadline.
    void close();
    /// Asks the server to cancel the running command, from a detached helper thread (PQcancel
    /// blocks); call before close() on a missed deadline so the server stops working for nobody.
    void cancel_in_background() noexcept;
    /// The socket registered with `ex`'s reactor, for waits from coroutines: made on first use, and
    /// again when the executor or the socket changed (never during connect, when libpq may switch
    /// sockets). Dropped by close() and unwatch().
    WatchedSocket& watched(const asio::any_io_executor& ex);
    /// Drops that registration: when a lease ends, as the io_context may not outlive it.
    void unwatch() noexcept;
    /// The server process id, for logs and tests (pg_stat_activity.pid).
    int backend_pid() const;

    /// SQL that drops statements evicted from the cache (and forgets them); empty when none. The
    /// pool runs it at release, when the connection is idle anyway. DISCARD ALL drops them all.
    std::string take_deallocations();
    /// Whether the next reset has statements to drop or may have to UNLISTEN (a round trip).
    bool cleanup_pending() const;
    /// Whether the session may be listening on channels (it ran LISTEN, or notifications arrived);
    /// clears the mark and drops queued notifications. The pool then runs UNLISTEN * at release.
    bool take_listening();
    /// Forgets every cached statement (after DISCARD ALL dropped them on the server).
    void forget_statements();
    /// Statements prepared on this connection (bounded; 0 disables, e.g. behind PgBouncer).
    void set_statement_cache_capacity(std::size_t capacity);

    // Pipeline mode: PgPipeline (pg_pipeline.cpp) drives libpq through these.
    /// Clears the per-command state (sync-rep mark) and enters libpq pipeline mode; throws
    /// ConnectionFailed if libpq refuses (nothing is sent then).
    void enter_pipeline();
    /// Notes a statement queued outside send_query (LISTEN tracking for the release).
    void note_sent(std::string_view sql);
    PGconn* handle() const noexcept;  ///< null once closed
    /// Marks the connection broken and throws ConnectionFailed with libpq's message.
    [[noreturn]] void fail_io() { fail_from_connection(false); }
    /// Throws the typed error a PGRES_FATAL_ERROR result stands for; marks poisoning ones broken.
    [[noreturn]] void throw_result_error(const PGresult* result);

    struct State;  // public so the notice receiver (a C callback) can name it

private:
    explicit PgConnection(std::unique_ptr<State> state);
    [[noreturn]] void fail_from_connection(bool at_connect);
    std::unique_ptr<State> state_;
    std::string endpoint_;
};

}  // namespace ucm::pg
