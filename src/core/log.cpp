#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace ucm {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("ucm")) return existing;
        return spdlog::stderr_color_mt("ucm");
    }();
    return *logger;
}

}  // namespace ucm
