// Loads a ucm configuration from TOML and shows what a typo in a key does: it is refused with a
// typed error that names the key, and no password ever appears in the message.
#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>

#include <iostream>

int main() {
    const char* good = R"(
        [manager]
        mode = "mcp_server"
        id = "orders"

        [postgres]
        uri = "postgresql://app:example-password@127.0.0.1:5432,127.0.0.1:5433/orders"
        query_timeout = "2s"

        [redis]
        sentinels = ["127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"]
        master_name = "mymaster"
    )";
    ucm::Config config = ucm::load_config_string(good, ucm::no_env());
    std::cout << "loaded, pool size " << config.pool.size.value_or(0) << " (McpServer preset)\n"
              << ucm::summarize(config) << "\n";

    const char* typo = R"(
        [pool]
        sise = 20
    )";
    try {
        (void)ucm::load_config_string(typo, ucm::no_env());
        return 1;  // a typo must never be ignored silently
    } catch (const ucm::ConfigInvalid& e) {
        std::cout << "refused: " << e.what() << "\n";
    }
    return 0;
}
