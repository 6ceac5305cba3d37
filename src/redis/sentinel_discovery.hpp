#pragma once
// The blocking questions the tracker asks, each on a fresh connection with its own deadline, so a
// stalled sentinel costs one deadline and never blocks the others (they are asked in parallel).

#include "redis/master_state.hpp"

#include <ucm/core/deadline.hpp>
#include <ucm/core/redis_options.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ucm::redis {

/// Everything a sentinel said in one discovery round; `error` when it could not be asked.
struct SentinelAnswer {
    std::optional<MasterAnswer> master{};
    std::vector<Endpoint> replicas{};  ///< usable ones (not down, link up)
    std::string error{};
};

/// `SENTINEL MASTER <name>` and `SENTINEL REPLICAS <name>` on every sentinel, in parallel, by
/// `deadline`; one answer per sentinel, in the order of `sentinel.sentinels`.
std::vector<SentinelAnswer> ask_sentinels(const RedisSentinel& sentinel, Deadline deadline);

/// Whether `address` says it is a master (`ROLE`), with the data-node credentials of `options`.
bool says_master(const Endpoint& address, const RedisOptions& options, Deadline deadline, std::string& error);

/// `SENTINEL CKQUORUM <name>` on the first sentinel that answers: ok and its message.
std::optional<std::pair<bool, std::string>> check_quorum(const RedisSentinel& sentinel, Deadline deadline);

}  // namespace ucm::redis
