#pragma once

#include "members.hpp"
#include "port_reservation.hpp"
#include "posix_util.hpp"

#include <ucm/sandbox/sandbox.hpp>
#include <ucm/sandbox/supervisor.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// The supervisor process. One class, split by concern over several files:
//   supervisor.cpp          lifecycle, signals, the control socket loop
//   supervisor_setup.cpp    directory, privileges, start-up and readiness of every member
//   supervisor_process.cpp  spawning, reaping, waiting, stopping, teardown
//   supervisor_ops.cpp      control operations (kill, promote, reattach, ...)
//   supervisor_status.cpp   live roles and replication state
namespace ucm::sandbox::detail {

/// A signal or the closed stdin pipe stopped a start-up or an operation midway.
class Interrupted : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A member exited while something waited for it.
class MemberExited : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Supervisor {
  public:
    explicit Supervisor(SupervisorArgs args);
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;
    ~Supervisor();

    int run();

  private:
    /// nullopt when ready, else why not yet (shown if the deadline passes).
    using Check = std::function<std::optional<std::string>()>;

    // supervisor.cpp
    void install_signal_handling();
    void open_control_socket();
    void serve();
    void serve_client(UniqueFd client);
    void note(std::string_view message) const;

    // supervisor_setup.cpp
    void prepare_directory();
    void drop_privileges();
    void create_members();
    void start_everything(Deadline deadline);
    void start_postgres_pair(Deadline deadline);
    void start_redis_group(Deadline deadline);
    void wait_sentinels_ready(Deadline deadline);
    [[nodiscard]] State state() const;

    // supervisor_process.cpp
    void spawn(Member& member);
    void pump();
    void reap();
    void sleep_for_events(int ms);
    void run_helper(std::string_view what, const std::vector<std::string>& argv,
                    const std::filesystem::path& log, Deadline deadline);
    void wait_until(std::string_view what, const Member& member, Deadline deadline, const Check& check);
    bool wait_exit(const Member& member, Deadline deadline);
    void start_member(Member& member, Deadline deadline);
    void stop_member(Member& member, Deadline deadline);
    void signal_member(Member& member, int signal);
    void kill_strays(Deadline deadline);
    void teardown() noexcept;
    [[nodiscard]] std::string failure(const Member& member, std::string_view what) const;
    [[nodiscard]] std::optional<std::string> ready_check(const Member& member, Deadline deadline) const;

    // supervisor_ops.cpp
    nlohmann::json handle(const nlohmann::json& request);
    Member& member(std::string_view name);
    Member* find(std::string_view name);
    void promote(Member& standby, bool wait, Deadline deadline);
    void reattach(Member& old_primary, Member& new_primary, Deadline deadline);
    void sentinel_failover(Deadline deadline);

    // supervisor_status.cpp
    [[nodiscard]] MemberStatus member_status(const Member& member, bool live) const;
    [[nodiscard]] std::vector<MemberStatus> status(bool live) const;

    SupervisorArgs args_;
    pid_t self_ = 0;
    Clock::time_point started_at_ = Clock::now();
    std::optional<PortReservation> ports_;
    std::filesystem::path dir_;
    UniqueFd signal_fd_;
    UniqueFd listen_fd_;
    std::vector<Member> members_;
    std::map<pid_t, std::optional<int>> helpers_;  ///< running helper -> wait status once reaped
    bool starting_ = true;                         ///< while true, any member's exit fails the start-up
    bool stop_requested_ = false;                  ///< SIGTERM/SIGINT, `down`, or EOF on a watched stdin
    bool stdin_open_ = true;
    bool torn_down_ = false;
};

}  // namespace ucm::sandbox::detail
