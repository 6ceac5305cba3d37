#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ucm::sandbox::detail {

/// A Redis reply copied out of hiredis: status and bulk strings in `text`, arrays in `elements`.
struct RedisValue {
    enum class Type { Nil, Text, Integer, Array, Error };
    Type type = Type::Nil;
    std::string text{};
    long long integer = 0;
    std::vector<RedisValue> elements{};
};

/// Sends one command to 127.0.0.1:`port` on a fresh blocking hiredis context with `timeout` for
/// connect and reply, so a SIGSTOPped server costs one timeout, not a hang. A Redis error reply or
/// an I/O failure returns nullopt with `error` set.
std::optional<RedisValue> redis_command(int port, const std::vector<std::string>& args,
                                        std::chrono::milliseconds timeout, std::string& error);

/// One field of an INFO reply ("master_link_status"), or "" when absent.
std::string info_field(const std::string& info, const std::string& field);

}  // namespace ucm::sandbox::detail
