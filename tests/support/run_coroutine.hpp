#pragma once
// Runs one coroutine to its end from a plain test body.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <utility>

namespace ucm::test {

/// Runs `work` on a fresh single-threaded io_context and returns its result (or rethrows).
template <class T>
T run(asio::awaitable<T> work) {
    asio::io_context io;
    auto result = asio::co_spawn(io, std::move(work), asio::use_future);
    io.run();
    return result.get();
}

}  // namespace ucm::test
