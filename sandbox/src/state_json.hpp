#pragma once

#include <ucm/sandbox/sandbox.hpp>

#include <nlohmann/json.hpp>

namespace ucm::sandbox {

void to_json(nlohmann::json& json, const MemberStatus& member);
void from_json(const nlohmann::json& json, MemberStatus& member);
void to_json(nlohmann::json& json, const State& state);
void from_json(const nlohmann::json& json, State& state);

}  // namespace ucm::sandbox
