#pragma once

#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

namespace ucm::sandbox::detail {

/// Runs a helper command to completion or throws (the supervisor's, which keeps reaping meanwhile).
using RunCommand = std::function<void(std::string_view what, const std::vector<std::string>& argv,
                                      const std::filesystem::path& log)>;

/// Copies the sandbox's PostgreSQL template into `data_dir` (which must not exist).
///
/// The template is made once per user by initdb under /var/tmp, under an flock, with the sandbox
/// settings already in postgresql.conf and pg_hba.conf, so a sandbox pays a copy, not an initdb.
/// A stamp file holds the settings; a template with other settings is rebuilt.
void copy_pg_template(const std::filesystem::path& data_dir, const std::filesystem::path& initdb_log,
                      const RunCommand& run);

}  // namespace ucm::sandbox::detail
