#include "redis/socket_registry.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace ucm::redis {

void SocketHandle::shutdown() noexcept {
    std::lock_guard lock(mutex_);
    // Held across the call on purpose: forget() must not return (and the owner close the number)
    // while a shutdown of it is under way. shutdown(2) does not block.
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void SocketHandle::forget() noexcept {
    std::lock_guard lock(mutex_);
    fd_ = -1;
}

void SocketRegistry::add(const std::shared_ptr<SocketHandle>& socket, std::uint64_t generation) {
    std::lock_guard lock(mutex_);
    // Dropping the closed ones here keeps the list as long as the pools are large, with no sweeper.
    std::erase_if(sockets_, [](const auto& entry) { return entry.first.expired(); });
    sockets_.emplace_back(socket, generation);
}

std::size_t SocketRegistry::shutdown_older_than(std::uint64_t generation) {
    std::vector<std::shared_ptr<SocketHandle>> victims;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [weak, opened_in] : sockets_) {
            if (opened_in >= generation) continue;
            if (auto socket = weak.lock()) victims.push_back(std::move(socket));
        }
    }
    for (const auto& socket : victims) socket->shutdown();
    return victims.size();
}

}  // namespace ucm::redis
