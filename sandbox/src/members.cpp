#include "members.hpp"

#include "posix_util.hpp"

#include <cstdlib>
#include <string>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::Postgres:
            return "postgres";
        case Kind::Redis:
            return "redis";
        case Kind::Sentinel:
            return "sentinel";
        case Kind::PgBouncer:
            return "pgbouncer";
    }
    return "?";
}

fs::path pg_bindir() {
    if (const char* dir = std::getenv("UCM_SANDBOX_PG_BINDIR"); dir != nullptr && *dir != '\0') {
        return dir;
    }
    return "/usr/lib/postgresql/15/bin";
}

std::vector<std::string> member_argv(const Member& member, const fs::path& sandbox_dir) {
    switch (member.kind) {
        case Kind::Postgres:
            // The port is on the command line, not in the config: pg_rewind copies the source's
            // config files over the target's.
            return {(pg_bindir() / "postgres").string(), "-D", member.dir.string(),          "-p",
                    std::to_string(member.port),         "-k", sandbox_dir.string(),         "-c",
                    "listen_addresses=127.0.0.1",        "-c", "cluster_name=" + member.name};
        case Kind::Redis:
            return {"/usr/bin/redis-server", (member.dir / "redis.conf").string()};
        case Kind::Sentinel:
            return {"/usr/bin/redis-sentinel", (member.dir / "sentinel.conf").string()};
        case Kind::PgBouncer:
            return {"/usr/sbin/pgbouncer", (member.dir / "pgbouncer.ini").string()};
    }
    return {};
}

void write_redis_config(const Member& member, int master_port) {
    std::string conf = "port " + std::to_string(member.port) +
                       "\n"
                       "bind 127.0.0.1\n"
                       "protected-mode no\n"
                       "daemonize no\n"
                       "save \"\"\n"
                       "appendonly no\n"
                       "repl-diskless-sync yes\n"
                       // Otherwise the first replica sync waits 5 s (ENVIRONMENT gotcha 6).
                       "repl-diskless-sync-delay 0\n"
                       // A stop must not wait up to 10 s for lagging replicas.
                       "shutdown-on-sigterm nosave now\n"
                       "logfile \"\"\n"
                       "dir " +
                       member.dir.string() + "\n";
    if (master_port != 0) conf += "replicaof 127.0.0.1 " + std::to_string(master_port) + "\n";
    write_file(member.dir / "redis.conf", conf);
}

void write_sentinel_config(const Member& member, int master_port) {
    const std::string name = kMasterName;
    // Sentinel rewrites this file (it must stay writable): it records the sentinels and replicas it
    // finds and every switch of master.
    write_file(member.dir / "sentinel.conf", "port " + std::to_string(member.port) +
                                                 "\n"
                                                 "bind 127.0.0.1\n"
                                                 "protected-mode no\n"
                                                 "daemonize no\n"
                                                 "logfile \"\"\n"
                                                 "dir " +
                                                 member.dir.string() + "\n" + "sentinel monitor " + name +
                                                 " 127.0.0.1 " + std::to_string(master_port) + " 2\n" +
                                                 "sentinel down-after-milliseconds " + name + " 1000\n" +
                                                 "sentinel failover-timeout " + name + " 5000\n" +
                                                 "sentinel parallel-syncs " + name + " 1\n");
}

void write_pgbouncer_config(const Member& member, int pg_port) {
    write_file(member.dir / "userlist.txt", "\"postgres\" \"\"\n");
    write_file(member.dir / "pgbouncer.ini",
               "[databases]\n"
               "* = host=127.0.0.1 port=" +
                   std::to_string(pg_port) +
                   "\n"
                   "[pgbouncer]\n"
                   "listen_addr = 127.0.0.1\n"
                   "listen_port = " +
                   std::to_string(member.port) +
                   "\n"
                   "unix_socket_dir =\n"
                   "auth_type = trust\n"
                   "auth_file = " +
                   (member.dir / "userlist.txt").string() +
                   "\n"
                   "admin_users = postgres\n"
                   "pool_mode = transaction\n"
                   "max_client_conn = 500\n"
                   "default_pool_size = 20\n"
                   "ignore_startup_parameters = extra_float_digits\n"
                   "logfile =\n"
                   "pidfile =\n");
}

std::string pg_uri(int port) {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres";
}

}  // namespace ucm::sandbox::detail
