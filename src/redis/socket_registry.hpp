#pragma once
// Shutting down the sockets of connections that other threads are using. After a Sentinel
// failover the old master keeps answering +OK for seconds (ENVIRONMENT gotcha 7): a command in
// flight on a leased connection to it must fail, not wait for a reply that will be lost. Another
// thread may shutdown(2) a socket safely; it may never close(2) it, nor touch it once its owner
// has closed it (the number could belong to another file by then). SocketHandle enforces that.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace ucm::redis {

/// The socket of one connection, as other threads may see it.
///
/// Thread safety: safe to share; shutdown() from any thread, forget() by the owner.
class SocketHandle {
public:
    explicit SocketHandle(int fd) noexcept : fd_(fd) {}
    /// shutdown(fd, SHUT_RDWR): the owner's pending and later reads and writes fail at once.
    /// Does nothing once forgotten.
    void shutdown() noexcept;
    /// The owner is about to close the socket: no shutdown may touch that number afterwards.
    void forget() noexcept;

private:
    std::mutex mutex_;
    int fd_;
};

/// The live connections of a set of pools, with the generation each was opened in.
///
/// Thread safety: safe to share.
class SocketRegistry {
public:
    /// Tracks `socket` (weakly: a closed connection simply drops out).
    void add(const std::shared_ptr<SocketHandle>& socket, std::uint64_t generation);
    /// Shuts down every tracked socket opened in a generation before `generation`; returns how many.
    std::size_t shutdown_older_than(std::uint64_t generation);

private:
    std::mutex mutex_;
    std::vector<std::pair<std::weak_ptr<SocketHandle>, std::uint64_t>> sockets_;
};

}  // namespace ucm::redis
