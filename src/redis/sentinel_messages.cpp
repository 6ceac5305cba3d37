#include "redis/sentinel_messages.hpp"

#include "core/value_parse.hpp"

#include <array>
#include <limits>

namespace ucm::redis {
namespace {

// Sentinel separates fields with single spaces (sentinelEvent's "%@" and "%s %s %d %s %d"). An
// empty token therefore means a malformed payload, never padding to skip.
std::vector<std::string_view> split_spaces(std::string_view text) {
    std::vector<std::string_view> tokens;
    std::size_t start = 0;
    while (true) {
        const std::size_t space = text.find(' ', start);
        tokens.push_back(text.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
        if (space == std::string_view::npos) break;
        start = space + 1;
    }
    return tokens;
}

bool all_non_empty(std::span<const std::string_view> tokens) {
    for (std::string_view t : tokens) {
        if (t.empty()) return false;
    }
    return true;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    std::uint64_t value = 0;
    if (!detail::parse_u64(text, value) || value == 0 || value > std::numeric_limits<std::uint16_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

std::optional<int> parse_small_int(std::string_view text) {
    std::uint64_t value = 0;
    if (!detail::parse_u64(text, value) || value > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        return std::nullopt;
    }
    return static_cast<int>(value);
}

// Event channels in the order a failover publishes them (checked against the strings of the
// redis-server 7.0.15 binary and a recorded SENTINEL FAILOVER), then the two that end it.
constexpr std::array<std::string_view, 10> kChannels = {
    "+try-failover",
    "+elected-leader",
    "+failover-state-select-slave",
    "+selected-slave",
    "+failover-state-send-slaveof-noone",
    "+failover-state-wait-promotion",
    "+promoted-slave",
    "+failover-state-reconf-slaves",
    "+failover-end",
    kSwitchMasterChannel,
};
constexpr std::size_t kStartedChannels = 8;  // the first eight mean "in progress"

constexpr std::string_view kAbortPrefix = "-failover-abort-";

// The master an instance message concerns: `<name>` for a master, else the name after '@'.
std::optional<std::string_view> instance_master_name(std::string_view payload) {
    const auto tokens = split_spaces(payload);
    if (tokens.size() < 4 || !all_non_empty(std::span(tokens).first(4))) return std::nullopt;
    const std::string_view type = tokens[0];
    if (!parse_port(tokens[3])) return std::nullopt;
    const bool has_at = tokens.size() > 4 && tokens[4] == "@";
    if (has_at) {
        if (tokens.size() < 8 || !all_non_empty(std::span(tokens).subspan(5, 3)) || !parse_port(tokens[7])) {
            return std::nullopt;
        }
        return tokens[5];
    }
    if (type != "master") return std::nullopt;  // replicas and sentinels always name their master
    return tokens[1];
}

}  // namespace

std::optional<Endpoint> parse_sentinel_address(std::string_view ip, std::string_view port) {
    auto p = parse_port(port);
    if (ip.empty() || ip.find(' ') != std::string_view::npos || !p) return std::nullopt;
    return Endpoint{.host = std::string(ip), .port = *p};
}

std::optional<SwitchMaster> parse_switch_master(std::string_view payload, std::string_view master_name) {
    const auto tokens = split_spaces(payload);
    if (tokens.size() != 5 || !all_non_empty(tokens) || tokens[0] != master_name) return std::nullopt;
    auto old_master = parse_sentinel_address(tokens[1], tokens[2]);
    auto new_master = parse_sentinel_address(tokens[3], tokens[4]);
    if (!old_master || !new_master) return std::nullopt;
    return SwitchMaster{.master_name = std::string(tokens[0]),
                        .old_master = std::move(*old_master),
                        .new_master = std::move(*new_master)};
}

std::span<const std::string_view> failover_channels() noexcept { return kChannels; }

std::optional<FailoverEventKind> failover_event_kind(std::string_view channel) noexcept {
    for (std::size_t i = 0; i < kChannels.size(); ++i) {
        if (kChannels[i] == channel) return i < kStartedChannels ? FailoverEventKind::Started : FailoverEventKind::Ended;
    }
    if (channel.size() > kAbortPrefix.size() && channel.starts_with(kAbortPrefix)) return FailoverEventKind::Aborted;
    return std::nullopt;
}

std::optional<FailoverEvent> parse_failover_event(std::string_view channel, std::string_view payload,
                                                  std::string_view master_name) {
    const auto kind = failover_event_kind(channel);
    if (!kind) return std::nullopt;
    if (channel == kSwitchMasterChannel) {
        if (!parse_switch_master(payload, master_name)) return std::nullopt;
    } else {
        const auto name = instance_master_name(payload);
        if (!name || *name != master_name) return std::nullopt;
    }
    return FailoverEvent{.kind = *kind, .channel = std::string(channel), .master_name = std::string(master_name)};
}

std::optional<SentinelMasterInfo> parse_sentinel_master(const std::vector<std::string>& fields, std::string* error) {
    auto fail = [&](std::string why) -> std::optional<SentinelMasterInfo> {
        if (error != nullptr) *error = std::move(why);
        return std::nullopt;
    };
    if (fields.size() % 2 != 0) return fail("SENTINEL MASTER reply has an odd number of fields");
    SentinelMasterInfo info;
    std::string_view ip;
    std::string_view port;
    bool have_epoch = false;
    for (std::size_t i = 0; i < fields.size(); i += 2) {
        const std::string& key = fields[i];
        const std::string& value = fields[i + 1];
        if (key == "ip") {
            ip = value;
        } else if (key == "port") {
            port = value;
        } else if (key == "config-epoch") {
            if (!detail::parse_u64(value, info.config_epoch)) return fail("bad config-epoch in SENTINEL MASTER reply");
            have_epoch = true;
        } else if (key == "flags") {
            info.flags = value;
        } else if (key == "num-other-sentinels" || key == "quorum") {
            auto n = parse_small_int(value);
            if (!n) return fail("bad " + key + " in SENTINEL MASTER reply");
            (key == "quorum" ? info.quorum : info.num_other_sentinels) = *n;
        }
    }
    auto address = parse_sentinel_address(ip, port);
    if (!address) return fail("SENTINEL MASTER reply lacks a valid ip and port");
    if (!have_epoch) return fail("SENTINEL MASTER reply lacks config-epoch");
    info.address = std::move(*address);
    return info;
}

std::vector<SentinelReplicaInfo> parse_sentinel_replicas(const std::vector<std::vector<std::string>>& replicas,
                                                         std::size_t* skipped) {
    std::vector<SentinelReplicaInfo> out;
    std::size_t bad = 0;
    for (const auto& fields : replicas) {
        SentinelReplicaInfo replica;
        std::string_view ip;
        std::string_view port;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i] == "ip") ip = fields[i + 1];
            else if (fields[i] == "port") port = fields[i + 1];
            else if (fields[i] == "flags") replica.flags = fields[i + 1];
            else if (fields[i] == "master-link-status") replica.master_link_status = fields[i + 1];
        }
        auto address = parse_sentinel_address(ip, port);
        if (fields.size() % 2 != 0 || !address) {
            ++bad;
            continue;
        }
        replica.address = std::move(*address);
        out.push_back(std::move(replica));
    }
    if (skipped != nullptr) *skipped = bad;
    return out;
}

bool has_flag(std::string_view flags, std::string_view flag) noexcept {
    std::size_t start = 0;
    while (start <= flags.size()) {
        const std::size_t comma = flags.find(',', start);
        const std::size_t end = comma == std::string_view::npos ? flags.size() : comma;
        if (flags.substr(start, end - start) == flag) return true;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return false;
}

bool replica_usable(const SentinelReplicaInfo& replica) noexcept {
    return !has_flag(replica.flags, "s_down") && !has_flag(replica.flags, "o_down") &&
           !has_flag(replica.flags, "disconnected") && replica.master_link_status == "ok";
}

}  // namespace ucm::redis
