#include "pg_template.hpp"

#include "members.hpp"
#include "posix_util.hpp"

#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;
namespace {

// full_page_writes stays on: pg_rewind refuses a source without it ("full_page_writes must be
// enabled in the source server"). wal_log_hints is what pg_rewind needs from the target.
constexpr std::string_view kPostgresqlConf = R"(
# ---- ucm sandbox (appended to initdb's defaults; later lines win) ----
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
wal_keep_size = 512MB
wal_log_hints = on
fsync = off
full_page_writes = on
synchronous_commit = on
max_connections = 300
shared_buffers = 32MB
wal_retrieve_retry_interval = 100ms
log_min_messages = warning
log_line_prefix = '%m [%p] '
logging_collector = off
)";

constexpr std::string_view kPgHbaConf = R"(# ucm sandbox
local   all          all                       trust
local   replication  all                       trust
host    all          postgres     127.0.0.1/32 trust
host    replication  all          127.0.0.1/32 trust
host    all          all          127.0.0.1/32 scram-sha-256
)";

constexpr const char* kStampFile = "ucm-template-stamp";

fs::path template_dir() {
    return fs::path("/var/tmp") / ("ucm-pg15-template-" + std::to_string(::geteuid()));
}

std::string expected_stamp() {
    return std::string("pg_bindir=") + pg_bindir().string() + "\n" + std::string(kPostgresqlConf) +
           std::string(kPgHbaConf);
}

bool template_current(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir / kStampFile, ec)) return false;
    try {
        return read_file(dir / kStampFile) == expected_stamp();
    } catch (const std::exception&) {
        return false;
    }
}

UniqueFd lock_template(const fs::path& dir) {
    const std::string lock_path = dir.string() + ".lock";
    UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) throw std::runtime_error("cannot open " + lock_path + ": " + errno_text(errno));
    while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR) throw std::runtime_error("flock " + lock_path + ": " + errno_text(errno));
    }
    return fd;
}

// initdb into a scratch directory, configure it, then rename: a crash mid-way leaves no template
// that looks finished.
void build_template(const fs::path& dir, const fs::path& initdb_log, const RunCommand& run) {
    const fs::path scratch = dir.string() + ".new-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove_all(scratch, ec);
    run("initdb (one-time template)",
        {(pg_bindir() / "initdb").string(), "-D", scratch.string(), "-U", "postgres", "-A", "trust", "-E",
         "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
        initdb_log);
    append_file(scratch / "postgresql.conf", kPostgresqlConf);
    write_file(scratch / "pg_hba.conf", kPgHbaConf);
    write_file(scratch / kStampFile, expected_stamp());
    const fs::path old = dir.string() + ".old-" + std::to_string(::getpid());
    if (fs::exists(dir, ec)) fs::rename(dir, old);
    fs::rename(scratch, dir);
    fs::remove_all(old, ec);
}

}  // namespace

void copy_pg_template(const fs::path& data_dir, const fs::path& initdb_log, const RunCommand& run) {
    const fs::path dir = template_dir();
    UniqueFd lock = lock_template(dir);
    if (!template_current(dir)) build_template(dir, initdb_log, run);
    // Readers only copy; a shared lock lets parallel sandboxes copy together.
    ::flock(lock.get(), LOCK_SH);
    fs::copy(dir, data_dir, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    fs::remove(data_dir / kStampFile);
    fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace);
}

}  // namespace ucm::sandbox::detail
