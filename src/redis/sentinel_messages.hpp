#pragma once
// Pure parsers for what Redis Sentinel says: its pub/sub announcements (`+switch-master`, the
// failover-progress events) and its replies to `SENTINEL MASTER` / `SENTINEL REPLICAS`. No
// sockets, so every rule is unit-tested (tests/unit/redis/sentinel_messages_test.cpp); the watcher
// and discovery feed them plain strings taken from hiredis replies.
//
// One sentinel may monitor several masters and publishes the events of all of them on the same
// channels, so every parser takes the watched master name and rejects the others.

#include <ucm/core/endpoint.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ucm::redis {

/// `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`: the master moved.
struct SwitchMaster {
    std::string master_name{};
    Endpoint old_master{};
    Endpoint new_master{};

    bool operator==(const SwitchMaster&) const = default;
};

/// Parses a `+switch-master` payload. Nullopt when it names another master, or is malformed
/// (not exactly five fields, a port outside 1..65535, an empty field).
std::optional<SwitchMaster> parse_switch_master(std::string_view payload, std::string_view master_name);

/// An address as sentinels give it (`SENTINEL GET-MASTER-ADDR-BY-NAME`, announcements): a
/// non-empty ip and a decimal port 1..65535. Nullopt otherwise.
std::optional<Endpoint> parse_sentinel_address(std::string_view ip, std::string_view port);

/// What a failover-progress event means for a client of the master.
enum class FailoverEventKind {
    Started,  ///< a sentinel is failing the master over: writes to it may be lost from now on
    Aborted,  ///< that attempt gave up (`-failover-abort-*`): the master stays
    Ended,    ///< `+failover-end` / `+switch-master`: the new master is in force
};

/// One failover-progress event concerning the watched master.
struct FailoverEvent {
    FailoverEventKind kind = FailoverEventKind::Started;
    std::string channel{};      ///< the event as published, e.g. "+elected-leader"
    std::string master_name{};  ///< the master it concerns (always the watched one)

    bool operator==(const FailoverEvent&) const = default;
};

/// The channels the watcher SUBSCRIBEs to for failover progress (Redis 7.0 `sentinel.c`), in the
/// order a failover publishes them, then `+failover-end` and `+switch-master`.
std::span<const std::string_view> failover_channels() noexcept;
/// The pattern the watcher PSUBSCRIBEs to: every `-failover-abort-<reason>`.
inline constexpr std::string_view kFailoverAbortPattern = "-failover-abort-*";
inline constexpr std::string_view kSwitchMasterChannel = "+switch-master";

/// The kind of a failover-progress channel, or nullopt for any other channel.
std::optional<FailoverEventKind> failover_event_kind(std::string_view channel) noexcept;

/// Parses one failover-progress message. The payload is either `+switch-master`'s, or an instance
/// message `<type> <name> <ip> <port> [@ <master-name> <master-ip> <master-port>] [text...]`, where
/// the `@` part is present for every instance but a master (whose `<name>` is the master name).
/// Nullopt when the channel is not a failover-progress one, the master is another, or the payload
/// is malformed. Free text after the instance details (some events add it) is allowed.
std::optional<FailoverEvent> parse_failover_event(std::string_view channel, std::string_view payload,
                                                  std::string_view master_name);

/// What `SENTINEL MASTER <name>` says about the master.
struct SentinelMasterInfo {
    Endpoint address{};
    std::uint64_t config_epoch = 0;
    std::string flags{};  ///< comma-separated, e.g. "master" or "s_down,master,disconnected"
    int num_other_sentinels = 0;
    int quorum = 0;

    bool operator==(const SentinelMasterInfo&) const = default;
};

/// Parses the flat `field, value, field, value...` list of `SENTINEL MASTER <name>`. Requires ip,
/// port and config-epoch; num-other-sentinels and quorum default to 0 when absent. Nullopt when a
/// required field is missing or malformed, or the list has an odd length; `error` (if given) says which.
std::optional<SentinelMasterInfo> parse_sentinel_master(const std::vector<std::string>& fields,
                                                        std::string* error = nullptr);

/// One replica from `SENTINEL REPLICAS <name>`.
struct SentinelReplicaInfo {
    Endpoint address{};
    std::string flags{};               ///< comma-separated, e.g. "slave" or "slave,s_down,disconnected"
    std::string master_link_status{};  ///< "ok" or "err"

    bool operator==(const SentinelReplicaInfo&) const = default;
};

/// Parses each flat list of `SENTINEL REPLICAS <name>`; entries without a valid ip and port are
/// skipped (counted in `skipped` if given).
std::vector<SentinelReplicaInfo> parse_sentinel_replicas(const std::vector<std::vector<std::string>>& replicas,
                                                         std::size_t* skipped = nullptr);

/// Whether a comma-separated Sentinel flag list holds `flag` exactly.
bool has_flag(std::string_view flags, std::string_view flag) noexcept;

/// Whether reads may go to this replica: not subjectively or objectively down, not disconnected
/// from the sentinel, and its replication link to the master is up.
bool replica_usable(const SentinelReplicaInfo& replica) noexcept;

}  // namespace ucm::redis
