#include "port_reservation.hpp"

#include "posix_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <random>
#include <set>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace ucm::sandbox::detail {
namespace {

constexpr const char* kRegistryPath = "/tmp/ucm-sandbox-ports.lock";
constexpr int kFirstPort = 20000;
constexpr int kPortCount = 12000;  // 20000..31999

struct Entry {
    int port = 0;
    pid_t owner = 0;
};

// Opens (or creates, world-writable) the registry and holds an exclusive flock on it.
UniqueFd lock_registry() {
    for (int attempt = 0; attempt < 10; ++attempt) {
        // Without O_CREAT first: fs.protected_regular forbids O_CREAT on another user's file in
        // a sticky directory even when it exists, so the creating open is only for a missing file.
        UniqueFd fd(::open(kRegistryPath, O_RDWR | O_CLOEXEC));
        if (!fd.valid() && errno == ENOENT) {
            fd.reset(::open(kRegistryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
            if (fd.valid()) ::fchmod(fd.get(), 0666);  // umask must not lock other users out
            if (!fd.valid() && errno == EEXIST) continue;
        }
        if (!fd.valid()) {
            throw std::runtime_error(std::string("cannot open ") + kRegistryPath + ": " + errno_text(errno));
        }
        while (::flock(fd.get(), LOCK_EX) != 0) {
            if (errno != EINTR) throw std::runtime_error("flock: " + errno_text(errno));
        }
        return fd;
    }
    throw std::runtime_error(std::string("cannot create ") + kRegistryPath);
}

bool owner_alive(pid_t pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);  // EPERM: alive, another user's
}

std::vector<Entry> read_entries(int fd) {
    std::string text;
    char buffer[4096];
    for (off_t offset = 0;;) {
        ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        offset += n;
    }
    std::vector<Entry> entries;
    std::istringstream in(text);
    Entry entry;
    long owner = 0;
    while (in >> entry.port >> owner) {
        entry.owner = static_cast<pid_t>(owner);
        if (owner_alive(entry.owner)) entries.push_back(entry);
    }
    return entries;
}

void write_entries(int fd, const std::vector<Entry>& entries) {
    std::string text;
    for (const auto& entry : entries) {
        text += std::to_string(entry.port) + " " + std::to_string(entry.owner) + "\n";
    }
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        throw std::runtime_error(std::string("cannot write ") + kRegistryPath + ": " + errno_text(errno));
    }
}

// Without SO_REUSEADDR this also refuses a port with connections lingering in TIME_WAIT.
bool port_free(int port) {
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

PortReservation PortReservation::reserve(int count, pid_t owner) {
    UniqueFd registry = lock_registry();
    std::vector<Entry> entries = read_entries(registry.get());
    std::set<int> taken;
    for (const auto& entry : entries) taken.insert(entry.port);

    // A random start spreads parallel sandboxes apart, so few candidates are tried twice.
    std::random_device random;
    int start = static_cast<int>(random() % static_cast<unsigned>(kPortCount));
    std::vector<int> ports;
    for (int i = 0; i < kPortCount && static_cast<int>(ports.size()) < count; ++i) {
        int port = kFirstPort + (start + i) % kPortCount;
        if (taken.count(port) == 0 && port_free(port)) ports.push_back(port);
    }
    if (static_cast<int>(ports.size()) < count) {
        throw std::runtime_error("no " + std::to_string(count) + " free ports in 20000-31999");
    }
    for (int port : ports) entries.push_back({port, owner});
    write_entries(registry.get(), entries);
    return PortReservation(std::move(ports), owner);
}

PortReservation::PortReservation(PortReservation&& other) noexcept
    : ports_(std::move(other.ports_)), owner_(other.owner_) {
    other.ports_.clear();
}

PortReservation::~PortReservation() { release(); }

void PortReservation::release() noexcept {
    if (ports_.empty()) return;
    try {
        UniqueFd registry = lock_registry();
        std::vector<Entry> kept;
        for (const auto& entry : read_entries(registry.get())) {
            if (entry.owner != owner_) kept.push_back(entry);
        }
        write_entries(registry.get(), kept);
    } catch (const std::exception&) {
        // The entries die with the owner's PID anyway: the next reservation prunes them.
    }
    ports_.clear();
}

}  // namespace ucm::sandbox::detail
