#pragma once
// Redis commands from coroutines over the hiredis async adapter (issue 6 groundwork): the
// adapter's callback turned into an awaitable, so many commands can be in flight on one connection
// (hiredis pipelines them; replies come back in order). Runs on the adapter's io_context thread.

#include "redis/asio_hiredis_adapter.hpp"

#include <ucm/redis/reply.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace ucm::redis {

/// Sends `argv` and waits for its reply. Error replies come back as Reply::error values.
/// Errors: ConnectionFailed (not retriable: the command may have been applied) when the connection
/// is closed, fails, or gets no reply within `timeout` (the adapter then closes it, failing every
/// command in flight on it).
/// Thread safety: call from a coroutine running on the adapter's io_context thread.
asio::awaitable<Reply> async_command(AsioHiredisAdapter& redis, std::vector<std::string> argv,
                                     std::chrono::milliseconds timeout);

}  // namespace ucm::redis
