// The blocking API in a few lines: a manager in McpServer mode, a read-write transaction with
// retries, a read on a read-only lease, typed errors. Run it against the sandbox:
//   ucm sandbox up && eval "$(ucm sandbox env)" && ./example_basic_usage "$UCM_TEST_PG_PRIMARY"
#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>
#include <ucm/manager/unified_connection_manager.hpp>

#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " postgresql://user@host:port/db\n";
        return 2;
    }
    try {
        ucm::Config config = ucm::load_config_string(
            "[manager]\nmode = \"mcp_server\"\nid = \"example\"\n[postgres]\nuri = \"" + std::string(argv[1]) + "\"\n",
            ucm::no_env());
        ucm::UnifiedConnectionManager manager(config);

        manager.connection(ucm::ConnectionMode::ReadWrite)
            .execute_simple("CREATE TABLE IF NOT EXISTS example_accounts(id bigint PRIMARY KEY, balance bigint)",
                            ucm::deadline_after(std::chrono::seconds{5}));

        // Reruns the whole transaction on serialization failures and deadlocks; never after COMMIT.
        manager.run_transaction([](ucm::pg::Session& tx) {
            tx.execute("INSERT INTO example_accounts VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = "
                       "example_accounts.balance + $2",
                       std::int64_t{1}, std::int64_t{100});
        });

        auto reader = manager.connection(ucm::ConnectionMode::ReadOnly);
        auto rows = reader.execute("SELECT id, balance FROM example_accounts ORDER BY id");
        for (auto row : rows) {
            std::cout << "account " << row.get<std::int64_t>("id") << ": " << row.get<std::int64_t>("balance")
                      << "\n";
        }
    } catch (const ucm::InDoubt& e) {
        std::cerr << "outcome unknown, check before retrying: " << e.what() << "\n";
        return 1;
    } catch (const ucm::Error& e) {
        std::cerr << ucm::to_string(e.code()) << (e.retriable() ? " (retriable): " : ": ") << e.what() << "\n";
        return 1;
    }
    return 0;
}
