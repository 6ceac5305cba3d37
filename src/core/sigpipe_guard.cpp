#include "core/sigpipe_guard.hpp"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace ucm::detail {

namespace {
sigset_t sigpipe_set() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
}
bool sigpipe_pending() noexcept {
    sigset_t pending;
    sigemptyset(&pending);
    return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
}
}  // namespace

SigpipeGuard::SigpipeGuard() noexcept {
    const sigset_t set = sigpipe_set();
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    // Only when SIGPIPE was blocked already can one be pending before our write.
    if (sigismember(&old_mask_, SIGPIPE) == 1) was_pending_ = sigpipe_pending();
}

SigpipeGuard::~SigpipeGuard() {
    const int saved_errno = errno;  // the caller reads its write's errno after we are gone
    if (!was_pending_ && sigpipe_pending()) {
        const sigset_t set = sigpipe_set();
        const timespec zero{0, 0};
        while (sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    errno = saved_errno;
}

}  // namespace ucm::detail
