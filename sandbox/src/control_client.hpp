#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>

namespace ucm::sandbox::detail {

/// Sends one JSON request line to a supervisor's control socket and returns its JSON reply.
/// Throws std::runtime_error when the supervisor is unreachable or does not answer in time; a
/// reply with "ok": false is returned as is.
nlohmann::json control_request(const std::filesystem::path& socket, const nlohmann::json& request,
                               std::chrono::milliseconds timeout);

}  // namespace ucm::sandbox::detail
