#include "core/poll_fd.hpp"

#include <poll.h>

#include <cerrno>

namespace ucm::detail {

short poll_fd(int fd, short events, Deadline deadline) {
    pollfd pfd{.fd = fd, .events = events, .revents = 0};
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(remaining(deadline));
        if (left.count() <= 0) return 0;
        const int timeout = left.count() > 60'000 ? 60'000 : static_cast<int>(left.count());
        const int n = ::poll(&pfd, 1, timeout);
        if (n > 0) return pfd.revents;
        if (n < 0 && errno != EINTR) return POLLERR;
    }
}

}  // namespace ucm::detail
