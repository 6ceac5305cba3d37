// Redis behind Sentinel: ucm finds the master, writes to it, reads from a replica, retries what a
// failover refused, and confirms one write on a replica. Run it against the sandbox:
//   ucm sandbox up && eval "$(ucm sandbox env)" &&
//   ./example_redis_sentinel "$UCM_TEST_PG_PRIMARY" "$UCM_TEST_REDIS_SENTINELS" "$UCM_TEST_REDIS_MASTER_NAME"
#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>
#include <ucm/manager/unified_connection_manager.hpp>

#include <iostream>
#include <sstream>
#include <string>

namespace {

// "h:p,h:p" -> ["h:p", "h:p"] as a TOML array.
std::string toml_list(const std::string& csv) {
    std::string out;
    std::istringstream in(csv);
    for (std::string item; std::getline(in, item, ',');) out += (out.empty() ? "\"" : ", \"") + item + "\"";
    return "[" + out + "]";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: " << argv[0] << " postgresql://... host:port,host:port master-name\n";
        return 2;
    }
    try {
        ucm::UnifiedConnectionManager manager(ucm::load_config_string(
            "[manager]\nmode = \"async_modern\"\nid = \"redis-example\"\n[postgres]\nuri = \"" + std::string(argv[1]) +
                "\"\n[redis]\nsentinels = " + toml_list(argv[2]) + "\nmaster_name = \"" + argv[3] + "\"\n",
            ucm::no_env()));

        // A write that a failover refused before sending (retriable) is simply made again.
        for (int attempt = 1;; ++attempt) {
            try {
                manager.redis(ucm::ConnectionMode::ReadWrite).command("INCR", "example:visits");
                break;
            } catch (const ucm::Error& e) {
                if (!e.retriable() || attempt == 3) throw;
            }
        }
        // Confirmed by at least one replica, so a failover cannot lose it.
        auto master = manager.redis(ucm::ConnectionMode::ReadWrite);
        master.durable({.replicas = 1, .timeout = std::chrono::milliseconds{500}}, "SET", "example:last", "hello");

        auto replica = manager.redis(ucm::ConnectionMode::ReadOnly);
        const auto visits = replica.command("GET", "example:visits");
        std::cout << "read from " << replica.endpoint() << ": visits = "
                  << (visits.is_nil() ? std::string("(not replicated yet)") : visits.as_string()) << "\n";
        const auto health = manager.health_check();
        std::cout << "master " << health.redis->master << ", health " << ucm::to_string(health.status) << "\n";
    } catch (const ucm::InDoubt& e) {
        std::cerr << "applied on the master, not confirmed by a replica: " << e.what() << "\n";
        return 1;
    } catch (const ucm::Error& e) {
        std::cerr << ucm::to_string(e.code()) << (e.retriable() ? " (retriable): " : ": ") << e.what() << "\n";
        return 1;
    }
    return 0;
}
