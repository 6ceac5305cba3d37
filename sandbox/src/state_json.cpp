#include "state_json.hpp"

#include "posix_util.hpp"

#include <ucm/sandbox/state_json.hpp>

#include <stdexcept>

namespace ucm::sandbox {
namespace fs = std::filesystem;
using nlohmann::json;

void to_json(json& out, const MemberStatus& member) {
    out = json{{"name", member.name}, {"kind", member.kind},       {"port", member.port},
               {"pid", member.pid},   {"running", member.running}, {"paused", member.paused},
               {"role", member.role}, {"detail", member.detail}};
}

void from_json(const json& in, MemberStatus& member) {
    member.name = in.at("name").get<std::string>();
    member.kind = in.at("kind").get<std::string>();
    member.port = in.at("port").get<int>();
    member.pid = in.value("pid", 0);
    member.running = in.value("running", member.pid > 0);
    member.paused = in.value("paused", false);
    member.role = in.value("role", std::string{});
    member.detail = in.value("detail", std::string{});
}

void to_json(json& out, const State& state) {
    out = json{{"ok", true},
               {"dir", state.dir.string()},
               {"supervisor_pid", state.supervisor_pid},
               {"control_socket", state.control_socket.string()},
               {"members", state.members},
               {"env", state.env}};
}

void from_json(const json& in, State& state) {
    state.dir = in.at("dir").get<std::string>();
    state.supervisor_pid = in.at("supervisor_pid").get<int>();
    state.control_socket = in.at("control_socket").get<std::string>();
    state.members = in.at("members").get<std::vector<MemberStatus>>();
    state.env = in.at("env").get<std::map<std::string, std::string>>();
}

std::string to_json(const State& state) { return json(state).dump(); }

State state_from_json(std::string_view text) {
    try {
        return json::parse(text).get<State>();
    } catch (const json::exception& e) {
        throw std::runtime_error(std::string("sandbox state is not valid: ") + e.what());
    }
}

std::string to_json(const std::vector<MemberStatus>& members) { return json(members).dump(); }

void write_state_file(const State& state, const fs::path& file) {
    // Written beside and renamed, so a reader never sees half a file.
    const fs::path scratch = file.string() + ".tmp";
    detail::write_file(scratch, json(state).dump(2) + "\n");
    fs::rename(scratch, file);
}

State read_state_file(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        throw std::runtime_error("no sandbox state at " + file.string() +
                                 ": is a sandbox up? (`ucm sandbox up`)");
    }
    return state_from_json(detail::read_file(file));
}

std::string env_exports(const State& state) {
    std::string text;
    for (const auto& [name, value] : state.env) {
        text += "export " + name + "=" + detail::shell_quote(value) + "\n";
    }
    return text;
}

}  // namespace ucm::sandbox
