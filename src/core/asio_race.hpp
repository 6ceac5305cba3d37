#pragma once
// Asio 1.22's awaitable `||` reports a cancelled race (every branch aborted) as
// asio::multiple_exceptions. ucm's coroutine API promises what Asio's own operations throw when
// cancelled, asio::system_error with operation_aborted: the drivers unwrap it with this.

#include <asio/multiple_exceptions.hpp>

#include <exception>

namespace ucm {

/// Called in a catch block: rethrows the current exception, or in place of a multiple_exceptions
/// the first exception it holds (unwrapping nested races too).
[[noreturn]] inline void rethrow_unwrapped() {
    std::exception_ptr current = std::current_exception();
    for (;;) {
        try {
            std::rethrow_exception(current);
        } catch (const asio::multiple_exceptions& e) {
            current = e.first_exception();
        }
    }
}

}  // namespace ucm
