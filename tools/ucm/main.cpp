// The `ucm` command-line tool: sandbox control, the demo, config checks, health reports.
#include "commands/commands.hpp"

#include <ucm/core/error.hpp>

#include <csignal>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    // hiredis 0.14 writes with write(): a dead peer must not kill the tool with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"ucm: unified PostgreSQL and Redis connection manager"};
    app.require_subcommand(1);
    ucm::cli::register_sandbox_command(app);
    ucm::cli::register_demo_command(app);
    ucm::cli::register_config_command(app);
    ucm::cli::register_health_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const ucm::Error& e) {
        std::cerr << "ucm: " << e.what() << " [" << ucm::to_string(e.code()) << "]\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "ucm: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
