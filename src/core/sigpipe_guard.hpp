#pragma once
// hiredis 0.14 writes with write(), not send(MSG_NOSIGNAL): a write to a peer that has gone away
// raises SIGPIPE, which kills the process by default (ENVIRONMENT gotcha 11). A library must not
// change the process's signal disposition, so, like libpq without MSG_NOSIGNAL, ucm blocks SIGPIPE
// in the calling thread around each write and swallows a SIGPIPE that the write itself raised.

#include <signal.h>

namespace ucm::detail {

/// Thread safety: affects the calling thread only; create it on the stack around a write.
class SigpipeGuard {
public:
    SigpipeGuard() noexcept;
    ~SigpipeGuard();
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t old_mask_{};
    bool was_pending_ = false;  // a SIGPIPE already pending belongs to someone else: leave it
};

}  // namespace ucm::detail
