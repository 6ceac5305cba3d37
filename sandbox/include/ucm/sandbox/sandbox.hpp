#pragma once

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::sandbox {

/// What the sandbox starts. Every member is bound to 127.0.0.1 on a port below 32768 that was free
/// and reserved under a file lock.
struct Options {
    bool postgres = true;                 ///< primary "pg0" + streaming standby "pg1"
    bool redis = true;                    ///< master "redis0", replica "redis1", "sentinel0..2"
    bool pgbouncer = false;               ///< "pgbouncer", transaction pooling in front of pg0
    bool sync_replication = false;        ///< synchronous_standby_names='*' on the primary
    std::filesystem::path supervisor_exe{};  ///< the `ucm` binary; empty: $UCM_SANDBOX_EXE, then PATH
    std::chrono::seconds ready_timeout{120};  ///< whole start-up, readiness included
    std::filesystem::path tmp_root{"/tmp"};   ///< parent of the fresh sandbox directory
    /// The supervisor outlives this process (`ucm sandbox up`): own session, stdin /dev/null, and
    /// the handle never stops it; `ucm sandbox down` or Sandbox::attach(...).stop() does. Otherwise
    /// it watches a pipe from this process and stops everything when the pipe closes, even when
    /// this process crashes.
    bool detached = false;
};

/// One server's live state, as `status()` reports it.
struct MemberStatus {
    std::string name{};      ///< pg0, pg1, redis0, redis1, sentinel0..2, pgbouncer
    std::string kind{};      ///< postgres, redis, sentinel, pgbouncer
    int port = 0;
    int pid = 0;             ///< the server's own PID (not a wrapper's); 0 when not running
    bool running = false;
    bool paused = false;     ///< SIGSTOPped by the sandbox
    std::string role{};      ///< asked live: primary/standby, master/replica, sentinel, pooler
    std::string detail{};    ///< replication state, e.g. "streaming from :20001, sync, lag 0 B"
};

/// What a started sandbox reports once it is ready.
struct State {
    std::filesystem::path dir{};           ///< the sandbox's own fresh directory
    int supervisor_pid = 0;
    std::filesystem::path control_socket{};
    std::vector<MemberStatus> members{};
    std::map<std::string, std::string> env{};  ///< UCM_TEST_PG_PRIMARY, ... (STYLE B8 names)
};

/// A handle on a running sandbox.
///
/// `start()` spawns a single-threaded supervisor process (`ucm sandbox supervise`) that spawns every
/// server as its own child and waitpid()s them; this handle talks to it over a Unix socket. When the
/// handle that started the supervisor is destroyed, or its process dies, the supervisor stops every
/// server by PID and removes the directory.
///
/// Errors: std::runtime_error with the failing member's name and the tail of its log.
/// Thread safety: not thread-safe; use one handle from one thread at a time.
class Sandbox {
public:
    /// Spawns a supervisor and waits until every member is ready.
    static Sandbox start(const Options& options);
    /// Attaches to a supervisor started elsewhere (`ucm sandbox up` wrote its state file).
    static Sandbox attach(const std::filesystem::path& state_file);

    Sandbox(Sandbox&&) noexcept;
    Sandbox& operator=(Sandbox&&) noexcept;
    ~Sandbox();

    /// Stops everything by PID, removes the directory, releases the ports; waits for the supervisor.
    void stop();

    /// True while the supervisor answers on its control socket (a cheap request, 2 s at most).
    [[nodiscard]] bool alive();

    [[nodiscard]] const State& state() const;
    [[nodiscard]] const std::map<std::string, std::string>& env() const;
    [[nodiscard]] std::vector<MemberStatus> status();

    [[nodiscard]] int port(std::string_view member) const;
    [[nodiscard]] int pid(std::string_view member);
    /// `postgresql://postgres@127.0.0.1:<port>/postgres` for a PostgreSQL member.
    [[nodiscard]] std::string pg_uri(std::string_view member) const;

    void kill(std::string_view member, int signal = SIGKILL);  ///< the server's own PID
    void stop_member(std::string_view member);                 ///< clean stop, waits for exit
    void start_member(std::string_view member);                ///< waits until ready
    void restart_member(std::string_view member);
    void pause(std::string_view member);                       ///< SIGSTOP
    void resume(std::string_view member);                      ///< SIGCONT
    /// Promotes a standby without waiting in pg_ctl (-W), then polls pg_is_in_recovery() every 5 ms
    /// when `wait`; with synchronous replication, turns it off on the new primary (as Patroni does).
    void promote(std::string_view standby, bool wait = true);
    /// CHECKPOINT on `new_primary`, pg_rewind `old_primary` from it, start it as its standby.
    void reattach(std::string_view old_primary, std::string_view new_primary);
    /// SENTINEL FAILOVER mymaster on a reachable sentinel.
    void sentinel_failover();

private:
    struct Impl;
    explicit Sandbox(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ucm::sandbox
