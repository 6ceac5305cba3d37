#include "control_client.hpp"

#include "posix_util.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;

nlohmann::json control_request(const fs::path& socket, const nlohmann::json& request,
                               std::chrono::milliseconds timeout) {
    const Deadline deadline = Clock::now() + timeout;
    const std::string path = socket.string();
    const std::string where = "sandbox supervisor at " + path;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error(where + ": path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) throw std::runtime_error("socket: " + errno_text(errno));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error(where + " is not reachable (" + errno_text(errno) +
                                 "): is the sandbox still up?");
    }
    const std::string line = request.dump() + "\n";
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::send(fd.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(where + ": send failed: " + errno_text(errno));
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    std::string reply;
    char buffer[4096];
    while (reply.find('\n') == std::string::npos) {
        pollfd pfd{fd.get(), POLLIN, 0};
        int rc = ::poll(&pfd, 1, ms_until(deadline));
        if (rc == 0 && Clock::now() >= deadline) {
            throw std::runtime_error(where + ": no reply to " + request.dump() + " within " +
                                     std::to_string(timeout.count()) + " ms");
        }
        if (rc <= 0) continue;
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            throw std::runtime_error(where + " closed the connection without a reply to " + request.dump());
        }
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    try {
        return nlohmann::json::parse(reply.substr(0, reply.find('\n')));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(where + ": bad reply: " + e.what());
    }
}

}  // namespace ucm::sandbox::detail
