// The `ucm` tool as a user runs it: `ucm health` against the shared sandbox, and `ucm demo` (which
// starts its own sandbox, kills its primary and checks that no acknowledged write was lost).
#include "support/manager_support.hpp"
#include "support/redis_support.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ucm::test {
namespace {

struct Run {
    int status = -1;
    std::string output;  // stdout and stderr together
};

Run run(const std::string& args) {
    Run r;
    const std::string command = std::string(cli_path()) + " " + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return r;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
    const int raw = ::pclose(pipe);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

std::filesystem::path write_config(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / (unique_id(name) + ".toml");
    std::ofstream(path) << text;
    return path;
}

std::string hosts_toml() {
    // Standby first: ucm finds the roles.
    return "[\"" + endpoint_of_uri(sandbox_env().pg_standby) + "\", \"" + endpoint_of_uri(sandbox_env().pg_primary) +
           "\"]";
}

TEST(HealthCli, JsonNamesBothEndpointsAndExitsZeroWhenHealthy) {
    const auto config = write_config("health", "[manager]\nid = \"health-cli\"\n[postgres]\nhosts = " + hosts_toml() +
                                                   "\nuser = \"postgres\"\ndbname = \"postgres\"\n");
    const auto r = run("health --config " + config.string() + " --json");
    std::filesystem::remove(config);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("\"status\": \"healthy\""), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("\"write_target\": true"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(endpoint_of_uri(sandbox_env().pg_standby)), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("\"role\": \"standby\""), std::string::npos) << r.output;
}

TEST(HealthCli, ForPeopleItPrintsTheStatusAndEveryEndpoint) {
    const auto config = write_config("health", "[postgres]\nhosts = " + hosts_toml() +
                                                   "\nuser = \"postgres\"\ndbname = \"postgres\"\n");
    const auto r = run("health --config " + config.string());
    std::filesystem::remove(config);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("healthy"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(endpoint_of_uri(sandbox_env().pg_primary)), std::string::npos) << r.output;
}

TEST(HealthCli, WithSentinelItPrintsTheRedisMasterEverySentinelAndTheQuorum) {
    std::string sentinels;
    for (const auto& s : endpoint_list(sandbox_env().redis_sentinels)) {
        sentinels += (sentinels.empty() ? "\"" : ", \"") + s.to_string() + "\"";
    }
    const auto config = write_config("health", "[postgres]\nhosts = " + hosts_toml() +
                                                   "\nuser = \"postgres\"\ndbname = \"postgres\"\n[redis]\nsentinels = [" +
                                                   sentinels + "]\nmaster_name = \"" + sandbox_env().redis_master_name +
                                                   "\"\n");
    const auto r = run("health --config " + config.string());
    std::filesystem::remove(config);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("redis (Sentinel '" + sandbox_env().redis_master_name + "'): master " +
                            sandbox_env().redis_master),
              std::string::npos)
        << r.output;
    for (const auto& s : endpoint_list(sandbox_env().redis_sentinels)) {
        EXPECT_NE(r.output.find(s.to_string()), std::string::npos) << r.output;
    }
    EXPECT_NE(r.output.find("quorum: OK"), std::string::npos) << r.output;
}

TEST(HealthCli, ABadConfigExitsThreeNamingTheFieldAndNeverThePassword) {
    const auto config = write_config("health", "[postgres]\nhosts = [\"127.0.0.1:70000\"]\npassword = \"s3cr3t-Pw\"\n");
    const auto r = run("health --config " + config.string() + " --json");
    std::filesystem::remove(config);
    EXPECT_EQ(r.status, 3) << r.output;
    EXPECT_NE(r.output.find("postgres.hosts"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("s3cr3t-Pw"), std::string::npos) << r.output;
}

TEST(HealthCli, NoServerAtAllIsUnhealthyExitTwo) {
    // Port 1 on 127.0.0.1: nothing listens there (tcpmux), so every connect is refused at once.
    const auto config = write_config("health", "[postgres]\nhosts = [\"127.0.0.1:1\"]\nconnect_timeout = \"1s\"\n"
                                               "[health]\nprobe_timeout = \"1s\"\n");
    const auto r = run("health --config " + config.string() + " --json");
    std::filesystem::remove(config);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("\"status\": \"unhealthy\""), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("no writable primary"), std::string::npos) << r.output;
}

// Starts its own sandbox: destructive tier, one at a time.
TEST(DemoCliDestructive, FailoverDemoLosesNoAcknowledgedWrite) {
    const auto r = run("demo --seconds 6");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("promotion finished"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("lost (acknowledged, absent)        0"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ucm::test
