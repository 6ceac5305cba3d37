#pragma once
// Owned commands (redis::Command, a vector of strings) seen as the argv spans that
// RedisConnection's exchange takes: one flat array of views, one span per command.

#include "redis/redis_connection.hpp"

#include <ucm/redis/connection.hpp>

#include <span>
#include <string_view>
#include <vector>

namespace ucm::redis {

/// Thread safety: not thread-safe. Lifetime: `commands` must outlive it; the spans point into it,
/// so it is neither copied nor moved.
class ArgvViews {
  public:
    explicit ArgvViews(std::span<const Command> commands) {
        std::size_t total = 0;
        for (const Command& command : commands) total += command.size();
        words_.reserve(total);
        for (const Command& command : commands) words_.insert(words_.end(), command.begin(), command.end());
        argvs_.reserve(commands.size());
        std::size_t first = 0;
        for (const Command& command : commands) {
            argvs_.emplace_back(words_.data() + first, command.size());
            first += command.size();
        }
    }
    ArgvViews(const ArgvViews&) = delete;
    ArgvViews& operator=(const ArgvViews&) = delete;

    [[nodiscard]] std::span<const Argv> argvs() const noexcept { return argvs_; }

  private:
    std::vector<std::string_view> words_;
    std::vector<Argv> argvs_;
};

}  // namespace ucm::redis
