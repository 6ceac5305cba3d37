#pragma once

#include <CLI/CLI.hpp>

// One file per verb under commands/; each adds its subcommand to the app.
namespace ucm::cli {

void register_sandbox_command(CLI::App& app);
void register_demo_command(CLI::App& app);
void register_config_command(CLI::App& app);
void register_health_command(CLI::App& app);

}  // namespace ucm::cli
