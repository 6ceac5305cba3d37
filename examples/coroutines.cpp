// The coroutine API: 100 coroutines on one io_context thread share an AsyncModern manager's pool
// (12 + 8 connections): a transaction each, then one pipeline of reads. Run it against the sandbox:
//   ucm sandbox up && eval "$(ucm sandbox env)" && ./example_coroutines "$UCM_TEST_PG_PRIMARY"
#include <ucm/core/config_load.hpp>
#include <ucm/core/error.hpp>
#include <ucm/manager/unified_connection_manager.hpp>
#include <ucm/pg/pipeline.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <cstdint>
#include <iostream>
#include <string>

namespace {

asio::awaitable<void> deposit(ucm::UnifiedConnectionManager& manager, std::int64_t account, int& failures) {
    try {
        auto add_ten = [account](ucm::pg::Session& tx) -> asio::awaitable<void> {
            co_await tx.async_execute(
                "INSERT INTO example_async_accounts VALUES ($1, 10) ON CONFLICT (id) DO UPDATE SET balance = "
                "example_async_accounts.balance + 10",
                account);
        };
        // Reruns the whole transaction on serialization failures and deadlocks; never after COMMIT.
        // The lambda is named first: g++ 12 mishandles a temporary lambda inside a co_await.
        co_await manager.async_run_transaction(add_ten);
    } catch (const ucm::InDoubt& e) {
        std::cerr << "outcome unknown, check before retrying: " << e.what() << "\n";
        ++failures;
    } catch (const ucm::Error& e) {
        std::cerr << ucm::to_string(e.code()) << (e.retriable() ? " (retriable): " : ": ") << e.what() << "\n";
        ++failures;
    }
}

asio::awaitable<void> report(ucm::UnifiedConnectionManager& manager) {
    ucm::pg::Connection reader = co_await manager.async_connection(ucm::ConnectionMode::ReadOnly);
    ucm::pg::Pipeline batch;  // one round trip for both statements
    batch.add("SELECT count(*) FROM example_async_accounts").add("SELECT sum(balance) FROM example_async_accounts");
    auto outcomes = co_await reader.async_execute_pipeline(batch, ucm::pg::PipelineMode::Independent,
                                                           ucm::deadline_after(std::chrono::seconds{5}));
    std::cout << outcomes[0].result()[0].get<std::int64_t>(0) << " accounts, total balance "
              << outcomes[1].result()[0].get<std::string>(0) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " postgresql://user@host:port/db\n";
        return 2;
    }
    try {
        ucm::Config config = ucm::load_config_string("[manager]\nmode = \"async_modern\"\nid = \"example-async\"\n"
                                                     "[postgres]\nuri = \"" +
                                                         std::string(argv[1]) + "\"\n",
                                                     ucm::no_env());
        ucm::UnifiedConnectionManager manager(config);
        manager.connection(ucm::ConnectionMode::ReadWrite)
            .execute_simple("CREATE TABLE IF NOT EXISTS example_async_accounts(id bigint PRIMARY KEY, balance bigint)",
                            ucm::deadline_after(std::chrono::seconds{5}));

        asio::io_context io;
        int failures = 0;
        for (std::int64_t account = 1; account <= 100; ++account) {
            asio::co_spawn(io, deposit(manager, account, failures), asio::detached);
        }
        io.run();  // all 100 run at once on this thread; the pool queues them fairly
        io.restart();
        asio::co_spawn(io, report(manager), [](const std::exception_ptr& e) {
            if (e) std::rethrow_exception(e);
        });
        io.run();
        return failures == 0 ? 0 : 1;
    } catch (const ucm::Error& e) {
        std::cerr << ucm::to_string(e.code()) << ": " << e.what() << "\n";
        return 1;
    }
}
