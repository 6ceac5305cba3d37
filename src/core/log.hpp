#pragma once
// ucm's logger: one spdlog logger named "ucm" (stderr by default). An application that registers
// its own logger named "ucm" before the first manager is built gets ucm's lines in its sinks.

#include <spdlog/spdlog.h>

#include <memory>

namespace ucm {

spdlog::logger& log();

}  // namespace ucm
