#pragma once
// A socket owned by libpq or hiredis, lent to Asio for one readiness wait: the descriptor is
// released, never closed, whatever happens (the library closes its own socket). Made afresh for
// each wait, since the library may replace the socket between steps (libpq while connecting).

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>

namespace ucm {

/// Thread safety: not thread-safe; lives in the frame of the coroutine that waits.
class BorrowedDescriptor {
public:
    BorrowedDescriptor(const asio::any_io_executor& ex, int fd) : sd_(ex, fd) {}
    ~BorrowedDescriptor() { (void)sd_.release(); }
    BorrowedDescriptor(const BorrowedDescriptor&) = delete;
    BorrowedDescriptor& operator=(const BorrowedDescriptor&) = delete;

    asio::posix::stream_descriptor& get() noexcept { return sd_; }

private:
    asio::posix::stream_descriptor sd_;
};

}  // namespace ucm
