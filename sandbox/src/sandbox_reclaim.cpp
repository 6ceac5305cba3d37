// Last-resort cleanup for a sandbox whose supervisor died without tearing down (kill -9, OOM): its
// servers were re-parented to PID 1 and nobody else will stop them.
#include "sandbox_reclaim.hpp"

#include "posix_util.hpp"

#include <fstream>
#include <iterator>
#include <signal.h>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;

namespace {

std::string cmdline_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : text) {
        if (c == '\0') c = ' ';
    }
    return text;
}

// A recorded PID may have been reused: only a process whose command line names this sandbox's
// directory (postgres, pgbouncer) or its address (redis retitles itself "redis-server ip:port") is
// the member.
bool is_member_process(const MemberStatus& member, const fs::path& dir) {
    const std::string cmdline = cmdline_of(member.pid);
    return cmdline.find(dir.string()) != std::string::npos ||
           cmdline.find("127.0.0.1:" + std::to_string(member.port)) != std::string::npos;
}

}  // namespace

std::string reclaim_orphaned_sandbox(const State& state) {
    std::error_code ec;
    if (state.dir.empty() || !fs::exists(state.dir, ec)) return {};
    std::string killed;
    for (const MemberStatus& member : state.members) {
        if (member.pid <= 0 || !process_alive(member.pid) || !is_member_process(member, state.dir)) continue;
        ::kill(member.pid, SIGCONT);
        ::kill(member.pid, SIGKILL);
        killed += (killed.empty() ? "" : ", ") + member.name + " (pid " + std::to_string(member.pid) + ")";
    }
    fs::remove_all(state.dir, ec);
    return "the supervisor had not cleaned up; killed " + (killed.empty() ? std::string("nothing") : killed) +
           " and removed " + state.dir.string();
}

}  // namespace ucm::sandbox::detail
