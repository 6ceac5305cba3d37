#pragma once

#include <string>

namespace ucm::test {

/// The endpoints of the shared sandbox, read from the variables `ucm sandbox env` prints (STYLE B8):
/// from the process environment, or else from the file named by UCM_SANDBOX_ENV_FILE (the ctest
/// fixture writes it). A missing variable throws std::runtime_error saying how to start the
/// sandbox, so a test without servers fails instead of skipping.
struct SandboxEnv {
    std::string pg_primary;        ///< UCM_TEST_PG_PRIMARY, a postgresql:// URI
    std::string pg_standby;        ///< UCM_TEST_PG_STANDBY
    std::string redis_master;      ///< UCM_TEST_REDIS_MASTER, host:port
    std::string redis_sentinels;   ///< UCM_TEST_REDIS_SENTINELS, host:port,host:port,...
    std::string redis_master_name; ///< UCM_TEST_REDIS_MASTER_NAME
};

const SandboxEnv& sandbox_env();

/// The `ucm` binary that supervises sandboxes (destructive tests start their own).
const char* cli_path();

}  // namespace ucm::test
