// Links against the installed libucm and checks that a typed error crosses the .so boundary intact.
#include <ucm/core/error.hpp>

#include <asio/awaitable.hpp>

#include <cstdio>
#include <system_error>

int main() {
    try {
        throw ucm::PoolTimeout({.message = "install consumer"});
    } catch (const ucm::Error& e) {
        const std::error_code ec = e.code();
        if (ec != ucm::Errc::pool_timeout || ec.category() != ucm::error_category() || !e.retriable()) {
            std::puts("install consumer: error code lost across the shared library");
            return 1;
        }
        std::printf("install consumer: ok (%s: %s)\n", ec.category().name(), ec.message().c_str());
    }
    return 0;
}
