#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ucm::sandbox::detail {

enum class Kind { Postgres, Redis, Sentinel, PgBouncer };

inline constexpr const char* kMasterName = "mymaster";

/// One server the supervisor runs. Its port never changes; its pid does at every start.
struct Member {
    std::string name{};
    Kind kind = Kind::Postgres;
    int port = 0;
    std::filesystem::path dir{};  ///< data directory (postgres) or working directory
    std::filesystem::path log{};  ///< stdout and stderr of every start, appended
    pid_t pid = 0;                ///< 0 while not running
    bool paused = false;
    int last_wait_status = 0;  ///< of the previous run, for error messages
    int starts = 0;            ///< how often it was spawned

    [[nodiscard]] bool running() const { return pid > 0; }
};

const char* kind_name(Kind kind);
std::filesystem::path pg_bindir();  ///< $UCM_SANDBOX_PG_BINDIR or /usr/lib/postgresql/15/bin

/// The command that runs `member` in the foreground, as a direct child.
std::vector<std::string> member_argv(const Member& member, const std::filesystem::path& sandbox_dir);

/// Writes redis.conf; `master_port` 0 makes a master, else a replica of 127.0.0.1:master_port.
void write_redis_config(const Member& member, int master_port);
/// Writes sentinel.conf monitoring `kMasterName` at 127.0.0.1:master_port, quorum 2.
void write_sentinel_config(const Member& member, int master_port);
/// Writes pgbouncer.ini and its auth file: transaction pooling in front of 127.0.0.1:pg_port.
void write_pgbouncer_config(const Member& member, int pg_port);

/// `postgresql://postgres@127.0.0.1:<port>/postgres`
std::string pg_uri(int port);

}  // namespace ucm::sandbox::detail
