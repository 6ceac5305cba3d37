#pragma once

#include <ucm/sandbox/sandbox.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

// JSON forms of the sandbox's state, shared by the supervisor, the client and `ucm sandbox`.
// Strings in and out, so users of this header need no JSON library.
namespace ucm::sandbox {

std::string to_json(const State& state);
State state_from_json(std::string_view json);  ///< throws std::runtime_error
std::string to_json(const std::vector<MemberStatus>& members);

/// Writes the state file `ucm sandbox up` leaves for `attach()`, `down`, `env` and `status`.
void write_state_file(const State& state, const std::filesystem::path& file);
State read_state_file(const std::filesystem::path& file);  ///< throws std::runtime_error

/// `export NAME='value'` lines, one per env entry, as `ucm sandbox env` prints them.
std::string env_exports(const State& state);

}  // namespace ucm::sandbox
