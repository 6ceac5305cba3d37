#include "redis/sentinel_discovery.hpp"

#include "redis/redis_connection.hpp"
#include "redis/sentinel_messages.hpp"

#include <ucm/core/error.hpp>

#include <fmt/format.h>

#include <array>
#include <future>

namespace ucm::redis {
namespace {

// Sentinel's own clients are named too, so `CLIENT LIST` on a sentinel shows what ucm asks.
constexpr std::string_view kSentinelClientName = "ucm-sentinel-discovery";

RedisConnection connect_sentinel(const Endpoint& sentinel, const RedisSentinel& options, Deadline deadline) {
    return RedisConnection::connect({.endpoint = sentinel,
                                     .password = options.sentinel_password,
                                     .client_name = std::string(kSentinelClientName)},
                                    deadline);
}

// The flat "field, value, ..." list of one SENTINEL MASTER/REPLICAS entry, as strings.
std::vector<std::string> words_of(const Reply& reply) {
    std::vector<std::string> words;
    for (const Reply& element : reply.as_array()) words.push_back(element.as_string());
    return words;
}

SentinelAnswer ask_one(const Endpoint& sentinel, const RedisSentinel& options, Deadline deadline) {
    SentinelAnswer answer;
    try {
        RedisConnection conn = connect_sentinel(sentinel, options, deadline);
        const std::array<std::string_view, 3> master{"SENTINEL", "MASTER", options.master_name};
        const std::array<std::string_view, 3> replicas{"SENTINEL", "REPLICAS", options.master_name};
        const std::array<Argv, 2> commands{Argv(master), Argv(replicas)};
        const std::vector<Reply> replies = conn.exchange(commands, deadline, false);
        if (replies[0].is_error()) {
            answer.error = fmt::format("sentinel {}: SENTINEL MASTER {}: {}", sentinel.to_string(),
                                       options.master_name, replies[0].error_message());
            return answer;
        }
        std::string why;
        const auto info = parse_sentinel_master(words_of(replies[0]), &why);
        if (!info) {
            answer.error = fmt::format("sentinel {}: unusable SENTINEL MASTER reply: {}", sentinel.to_string(), why);
            return answer;
        }
        // A sentinel that itself believes the master is down still names it: the ROLE check
        // decides. Its epoch still orders it against the others.
        answer.master = MasterAnswer{.address = info->address, .config_epoch = info->config_epoch};
        if (!replies[1].is_error()) {
            std::vector<std::vector<std::string>> entries;
            for (const Reply& entry : replies[1].as_array()) entries.push_back(words_of(entry));
            for (const auto& replica : parse_sentinel_replicas(entries)) {
                if (replica_usable(replica)) answer.replicas.push_back(replica.address);
            }
        }
    } catch (const Error& e) {
        answer.error = fmt::format("sentinel {}: {}", sentinel.to_string(), e.what());
    }
    return answer;
}

}  // namespace

std::vector<SentinelAnswer> ask_sentinels(const RedisSentinel& sentinel, Deadline deadline) {
    std::vector<std::future<SentinelAnswer>> pending;
    pending.reserve(sentinel.sentinels.size());
    for (const Endpoint& s : sentinel.sentinels) {
        pending.push_back(std::async(std::launch::async, [&sentinel, s, deadline] { return ask_one(s, sentinel, deadline); }));
    }
    std::vector<SentinelAnswer> answers;
    answers.reserve(pending.size());
    for (auto& p : pending) answers.push_back(p.get());
    return answers;
}

bool says_master(const Endpoint& address, const RedisOptions& options, Deadline deadline, std::string& error) {
    try {
        RedisConnection conn = RedisConnection::connect({.endpoint = address,
                                                         .user = options.user,
                                                         .password = options.password,
                                                         .client_name = std::string(kSentinelClientName)},
                                                        deadline);
        const std::array<std::string_view, 1> role{"ROLE"};
        const Reply reply = conn.exchange_one(role, deadline, false);
        if (reply.is_error()) {
            error = fmt::format("{}: ROLE: {}", address.to_string(), reply.error_message());
            return false;
        }
        const auto fields = reply.as_array();
        if (fields.empty() || fields[0].as_string() != "master") {
            error = fmt::format("{}: named master by the sentinels, but ROLE says '{}'", address.to_string(),
                                fields.empty() ? std::string("nothing") : fields[0].as_string());
            return false;
        }
        return true;
    } catch (const Error& e) {
        error = e.what();
        return false;
    }
}

std::optional<std::pair<bool, std::string>> check_quorum(const RedisSentinel& sentinel, Deadline deadline) {
    for (const Endpoint& s : sentinel.sentinels) {
        try {
            RedisConnection conn = connect_sentinel(s, sentinel, deadline);
            const std::array<std::string_view, 3> ckquorum{"SENTINEL", "CKQUORUM", sentinel.master_name};
            const Reply reply = conn.exchange_one(ckquorum, deadline, false);
            if (reply.is_error()) return std::pair{false, reply.error_message()};
            return std::pair{true, reply.as_string()};
        } catch (const Error&) {
            continue;  // unreachable: the next one may answer
        }
    }
    return std::nullopt;
}

}  // namespace ucm::redis
