// `ucm config check FILE` and `ucm config show FILE`. Errors propagate to main(), which prints
// "ucm: <message> [config_invalid]" and exits 1; messages never contain a password.
#include "commands/commands.hpp"

#include <ucm/core/config.hpp>
#include <ucm/core/config_load.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace ucm::cli {
namespace {

struct ConfigArgs {
    std::string file;
    bool no_env = false;
};

ucm::Config load(const ConfigArgs& args) {
    return ucm::load_config(args.file, args.no_env ? ucm::no_env() : ucm::process_env());
}

void add_common(CLI::App& command, ConfigArgs& args) {
    command.add_option("file", args.file, "TOML configuration file")->required();
    command.add_flag("--no-env", args.no_env,
                     "Ignore UCM_* environment overrides and password_env variables");
}

}  // namespace

void register_config_command(CLI::App& app) {
    CLI::App* config = app.add_subcommand("config", "Check or show a configuration file");
    config->require_subcommand(1);
    // Owned by the callbacks, which CLI11 keeps as long as the app.
    auto args = std::make_shared<ConfigArgs>();

    CLI::App* check = config->add_subcommand("check", "Load and validate FILE, then print ok and a summary");
    add_common(*check, *args);
    check->callback([args] {
        // Load before printing anything: "ok" must never appear for a file that fails.
        const ucm::Config loaded = load(*args);
        std::cout << "ok\n" << ucm::summarize(loaded);
    });

    CLI::App* show = config->add_subcommand("show", "Print the effective configuration (secrets as ***)");
    add_common(*show, *args);
    show->callback([args] {
        const ucm::Config loaded = load(*args);
        std::cout << ucm::describe(loaded);
    });
}

}  // namespace ucm::cli
