#include "support/sandbox_env.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

namespace ucm::test {
namespace {

std::map<std::string, std::string> read_env_file(const char* path) {
    std::map<std::string, std::string> values;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("export ", 0) == 0) line.erase(0, 7);
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) {
            value = value.substr(1, value.size() - 2);
        }
        values[line.substr(0, eq)] = value;
    }
    return values;
}

std::string required(const std::map<std::string, std::string>& file_values, const char* name) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return value;
    if (auto it = file_values.find(name); it != file_values.end() && !it->second.empty()) {
        return it->second;
    }
    throw std::runtime_error(std::string(name) +
                             " is not set: start the sandbox: " UCM_TEST_COMMAND
                             " (or `eval \"$(ucm sandbox env)\"` after `ucm sandbox up`)");
}

SandboxEnv load() {
    std::map<std::string, std::string> file_values;
    if (const char* file = std::getenv("UCM_SANDBOX_ENV_FILE"); file != nullptr) {
        file_values = read_env_file(file);
    }
    return SandboxEnv{
        .pg_primary = required(file_values, "UCM_TEST_PG_PRIMARY"),
        .pg_standby = required(file_values, "UCM_TEST_PG_STANDBY"),
        .redis_master = required(file_values, "UCM_TEST_REDIS_MASTER"),
        .redis_sentinels = required(file_values, "UCM_TEST_REDIS_SENTINELS"),
        .redis_master_name = required(file_values, "UCM_TEST_REDIS_MASTER_NAME"),
    };
}

}  // namespace

const SandboxEnv& sandbox_env() {
    static const SandboxEnv env = load();
    return env;
}

const char* cli_path() { return UCM_CLI_PATH; }

}  // namespace ucm::test
