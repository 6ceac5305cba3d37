#include "core/io_thread.hpp"

namespace ucm {

std::shared_ptr<IoThread> IoThread::start() {
    std::shared_ptr<IoThread> io(new IoThread());  // NOLINT: the constructor is private
    io->thread_ = std::thread([self = io] { self->io_.run(); });
    return io;
}

IoThread::~IoThread() {
    // The last reference may be dropped by the thread itself, as it finishes.
    if (thread_.joinable()) {
        if (thread_.get_id() == std::this_thread::get_id()) {
            thread_.detach();
        } else {
            thread_.join();
        }
    }
}

void IoThread::stop() {
    std::call_once(stopped_, [this] {
        work_.reset();
        io_.stop();
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    });
}

}  // namespace ucm
