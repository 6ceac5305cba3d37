// The Sentinel parsers, fed with payloads recorded from redis-sentinel 7.0.15 during a
// SENTINEL FAILOVER, plus the ways they can be wrong: another master on the same sentinel,
// missing fields, bad ports, trailing junk.
#include "redis/sentinel_messages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ucm::redis {
namespace {

constexpr std::string_view kName = "mymaster";
const std::string kMasterInstance = "master mymaster 127.0.0.1 23858";
const std::string kSlaveInstance = "slave 127.0.0.1:23859 127.0.0.1 23859 @ mymaster 127.0.0.1 23858";

// ---- +switch-master ------------------------------------------------------------------------------

TEST(SentinelSwitchMaster, ParsesOldAndNewAddresses) {
    const auto sm = parse_switch_master("mymaster 127.0.0.1 23858 127.0.0.1 23859", kName);
    ASSERT_TRUE(sm);
    EXPECT_EQ(sm->master_name, "mymaster");
    EXPECT_EQ(sm->old_master, (Endpoint{"127.0.0.1", 23858}));
    EXPECT_EQ(sm->new_master, (Endpoint{"127.0.0.1", 23859}));
}

TEST(SentinelSwitchMaster, AcceptsIpv6Literals) {
    const auto sm = parse_switch_master("mymaster ::1 6379 fe80::2 6380", kName);
    ASSERT_TRUE(sm);
    EXPECT_EQ(sm->old_master, (Endpoint{"::1", 6379}));
    EXPECT_EQ(sm->new_master, (Endpoint{"fe80::2", 6380}));
}

TEST(SentinelSwitchMaster, IgnoresAnotherMasterOnTheSameSentinel) {
    EXPECT_FALSE(parse_switch_master("othermaster 127.0.0.1 1 127.0.0.1 2", kName));
    // A prefix or extension of the watched name is another master too.
    EXPECT_FALSE(parse_switch_master("mymaster2 127.0.0.1 1 127.0.0.1 2", kName));
    EXPECT_FALSE(parse_switch_master("mymaste 127.0.0.1 1 127.0.0.1 2", kName));
}

TEST(SentinelSwitchMaster, RejectsMalformedPayloads) {
    for (const char* bad : {
             "",
             "mymaster",
             "mymaster 127.0.0.1 23858 127.0.0.1",              // missing the new port
             "mymaster 127.0.0.1 23858 127.0.0.1 23859 junk",   // extra field
             "mymaster 127.0.0.1 0 127.0.0.1 23859",            // port 0
             "mymaster 127.0.0.1 65536 127.0.0.1 23859",        // port too large
             "mymaster 127.0.0.1 -1 127.0.0.1 23859",           // negative port
             "mymaster 127.0.0.1 23858 127.0.0.1 23859x",       // trailing garbage in a port
             "mymaster 127.0.0.1 23858  127.0.0.1 23859",       // an empty field
             "mymaster 127.0.0.1 23858 127.0.0.1 23859 ",       // a trailing space
             "mymaster 127.0.0.1 99999999999999999999 127.0.0.1 1",
         }) {
        EXPECT_FALSE(parse_switch_master(bad, kName)) << '"' << bad << '"';
    }
}

TEST(SentinelAddress, ParsesIpAndPortOnly) {
    EXPECT_EQ(parse_sentinel_address("127.0.0.1", "6379"), (Endpoint{"127.0.0.1", 6379}));
    EXPECT_FALSE(parse_sentinel_address("", "6379"));
    EXPECT_FALSE(parse_sentinel_address("127.0.0.1", ""));
    EXPECT_FALSE(parse_sentinel_address("127.0.0.1", "6379 "));
    EXPECT_FALSE(parse_sentinel_address("127.0.0.1 x", "6379"));
    EXPECT_FALSE(parse_sentinel_address("127.0.0.1", "+6379"));
}

// ---- failover progress -----------------------------------------------------------------------

TEST(SentinelFailoverEvent, EveryProgressChannelIsStarted) {
    const std::vector<std::pair<std::string, std::string>> recorded = {
        {"+try-failover", kMasterInstance},
        {"+elected-leader", kMasterInstance},
        {"+failover-state-select-slave", kMasterInstance},
        {"+selected-slave", kSlaveInstance},
        {"+failover-state-send-slaveof-noone", kSlaveInstance},
        {"+failover-state-wait-promotion", kSlaveInstance},
        {"+promoted-slave", kSlaveInstance},
        {"+failover-state-reconf-slaves", kMasterInstance},
    };
    for (const auto& [channel, payload] : recorded) {
        const auto event = parse_failover_event(channel, payload, kName);
        ASSERT_TRUE(event) << channel;
        EXPECT_EQ(event->kind, FailoverEventKind::Started) << channel;
        EXPECT_EQ(event->channel, channel);
        EXPECT_EQ(event->master_name, "mymaster");
    }
}

TEST(SentinelFailoverEvent, FailoverEndAndSwitchMasterAreEnded) {
    const auto end = parse_failover_event("+failover-end", kMasterInstance, kName);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->kind, FailoverEventKind::Ended);
    const auto sw = parse_failover_event("+switch-master", "mymaster 127.0.0.1 23858 127.0.0.1 23859", kName);
    ASSERT_TRUE(sw);
    EXPECT_EQ(sw->kind, FailoverEventKind::Ended);
}

TEST(SentinelFailoverEvent, EveryAbortReasonIsAborted) {
    for (const char* channel :
         {"-failover-abort-not-elected", "-failover-abort-no-good-slave", "-failover-abort-slave-timeout"}) {
        const auto event = parse_failover_event(channel, kMasterInstance, kName);
        ASSERT_TRUE(event) << channel;
        EXPECT_EQ(event->kind, FailoverEventKind::Aborted);
        EXPECT_EQ(event->channel, channel);
    }
    // A replica instance (the promoted one timing out) names its master after '@'.
    const auto slave = parse_failover_event("-failover-abort-slave-timeout", kSlaveInstance, kName);
    ASSERT_TRUE(slave);
    EXPECT_EQ(slave->kind, FailoverEventKind::Aborted);
}

TEST(SentinelFailoverEvent, OtherChannelsAreNotFailoverEvents) {
    for (const char* channel :
         {"+sdown", "+odown", "+new-epoch", "+slave", "-role-change", "+failover-end-for-timeout",
          "-failover-abort-", "+failover-endx", "failover-end", "+vote-for-leader", ""}) {
        EXPECT_FALSE(failover_event_kind(channel)) << channel;
        EXPECT_FALSE(parse_failover_event(channel, kMasterInstance, kName)) << channel;
    }
}

TEST(SentinelFailoverEvent, IgnoresAnotherMasterOnTheSameSentinel) {
    EXPECT_FALSE(parse_failover_event("+try-failover", "master other 127.0.0.1 7000", kName));
    EXPECT_FALSE(parse_failover_event("+selected-slave", "slave 127.0.0.1:7001 127.0.0.1 7001 @ other 127.0.0.1 7000",
                                      kName));
    EXPECT_FALSE(parse_failover_event("-failover-abort-not-elected", "master mymaster2 127.0.0.1 7000", kName));
    EXPECT_FALSE(parse_failover_event("+switch-master", "other 127.0.0.1 1 127.0.0.1 2", kName));
    // A replica whose own name happens to equal the watched master's name belongs to `other`.
    EXPECT_FALSE(parse_failover_event("+promoted-slave", "slave mymaster 127.0.0.1 7001 @ other 127.0.0.1 7000",
                                      kName));
}

TEST(SentinelFailoverEvent, AllowsFreeTextAfterTheInstanceDetails) {
    EXPECT_TRUE(parse_failover_event("+elected-leader", kMasterInstance + " #quorum 2/2", kName));
    EXPECT_TRUE(parse_failover_event("+promoted-slave", kSlaveInstance + " new reported role is master", kName));
}

TEST(SentinelFailoverEvent, RejectsMalformedInstanceMessages) {
    for (const char* bad : {
             "",
             "master mymaster 127.0.0.1",                                      // no port
             "master mymaster 127.0.0.1 0",                                    // bad port
             "master mymaster 127.0.0.1 port",                                 // not a number
             "slave 127.0.0.1:23859 127.0.0.1 23859",                          // replica without '@'
             "slave 127.0.0.1:23859 127.0.0.1 23859 @ mymaster 127.0.0.1",     // '@' part cut short
             "slave 127.0.0.1:23859 127.0.0.1 23859 @ mymaster 127.0.0.1 x",   // bad master port
             "slave 127.0.0.1:23859 127.0.0.1 23859 @  mymaster 127.0.0.1 1",  // empty field
             " master mymaster 127.0.0.1 23858",                               // leading space
         }) {
        EXPECT_FALSE(parse_failover_event("+selected-slave", bad, kName)) << '"' << bad << '"';
    }
    EXPECT_FALSE(parse_failover_event("+switch-master", "mymaster 127.0.0.1 1 127.0.0.1", kName));
}

TEST(SentinelFailoverEvent, ChannelListMatchesTheKinds) {
    const auto channels = failover_channels();
    ASSERT_EQ(channels.size(), 10u);
    EXPECT_EQ(channels.front(), "+try-failover");
    EXPECT_EQ(channels.back(), kSwitchMasterChannel);
    for (std::string_view c : channels) EXPECT_TRUE(failover_event_kind(c)) << c;
    EXPECT_EQ(kFailoverAbortPattern, "-failover-abort-*");
}

// ---- SENTINEL MASTER / REPLICAS --------------------------------------------------------------

std::vector<std::string> recorded_master() {
    return {"name", "mymaster", "ip", "127.0.0.1", "port", "23859", "runid", "50b34ab6",
            "flags", "master", "link-pending-commands", "0", "config-epoch", "1", "num-slaves", "1",
            "num-other-sentinels", "2", "quorum", "2", "failover-timeout", "5000"};
}

TEST(SentinelMasterReply, ParsesTheFieldsDiscoveryUses) {
    const auto info = parse_sentinel_master(recorded_master());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->address, (Endpoint{"127.0.0.1", 23859}));
    EXPECT_EQ(info->config_epoch, 1u);
    EXPECT_EQ(info->flags, "master");
    EXPECT_EQ(info->num_other_sentinels, 2);
    EXPECT_EQ(info->quorum, 2);
}

TEST(SentinelMasterReply, LargeEpochsParse) {
    auto fields = recorded_master();
    fields[13] = "18446744073709551615";
    const auto info = parse_sentinel_master(fields);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->config_epoch, 18446744073709551615u);
}

TEST(SentinelMasterReply, RejectsMissingOrMalformedFields) {
    auto drop = [](std::string_view key) {
        auto fields = recorded_master();
        for (std::size_t i = 0; i < fields.size(); i += 2) {
            if (fields[i] == key) {
                fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(i),
                             fields.begin() + static_cast<std::ptrdiff_t>(i + 2));
                break;
            }
        }
        return fields;
    };
    auto with = [](std::string_view key, std::string value) {
        auto fields = recorded_master();
        for (std::size_t i = 0; i < fields.size(); i += 2) {
            if (fields[i] == key) fields[i + 1] = value;
        }
        return fields;
    };
    std::string error;
    EXPECT_FALSE(parse_sentinel_master(drop("ip"), &error));
    EXPECT_NE(error.find("ip"), std::string::npos);
    EXPECT_FALSE(parse_sentinel_master(drop("port")));
    EXPECT_FALSE(parse_sentinel_master(drop("config-epoch"), &error));
    EXPECT_NE(error.find("config-epoch"), std::string::npos);
    EXPECT_FALSE(parse_sentinel_master(with("port", "0")));
    EXPECT_FALSE(parse_sentinel_master(with("port", "70000")));
    EXPECT_FALSE(parse_sentinel_master(with("config-epoch", "-1")));
    EXPECT_FALSE(parse_sentinel_master(with("quorum", "two")));
    auto odd = recorded_master();
    odd.pop_back();
    EXPECT_FALSE(parse_sentinel_master(odd));
    EXPECT_FALSE(parse_sentinel_master({}));
}

TEST(SentinelMasterReply, OptionalCountsDefaultToZero) {
    const auto info = parse_sentinel_master({"ip", "10.0.0.1", "port", "6379", "config-epoch", "0"});
    ASSERT_TRUE(info);
    EXPECT_EQ(info->quorum, 0);
    EXPECT_EQ(info->num_other_sentinels, 0);
    EXPECT_EQ(info->flags, "");
}

std::vector<std::string> replica(std::string port, std::string flags, std::string link) {
    return {"name", "127.0.0.1:" + port, "ip", "127.0.0.1", "port", port, "flags", std::move(flags),
            "master-link-down-time", "0", "master-link-status", std::move(link), "slave-priority", "100"};
}

TEST(SentinelReplicasReply, ParsesEachReplicaAndSkipsBadOnes) {
    std::size_t skipped = 99;
    const auto replicas = parse_sentinel_replicas(
        {replica("7001", "slave", "ok"), replica("0", "slave", "ok"), {"ip", "127.0.0.1"},
         replica("7002", "slave,s_down,disconnected", "err")},
        &skipped);
    EXPECT_EQ(skipped, 2u);
    ASSERT_EQ(replicas.size(), 2u);
    EXPECT_EQ(replicas[0].address, (Endpoint{"127.0.0.1", 7001}));
    EXPECT_EQ(replicas[0].flags, "slave");
    EXPECT_EQ(replicas[0].master_link_status, "ok");
    EXPECT_EQ(replicas[1].address, (Endpoint{"127.0.0.1", 7002}));
}

TEST(SentinelReplicasReply, UsableMeansUpConnectedAndLinked) {
    auto info = [](std::string flags, std::string link) {
        return SentinelReplicaInfo{.address = {"127.0.0.1", 7001}, .flags = std::move(flags),
                                   .master_link_status = std::move(link)};
    };
    EXPECT_TRUE(replica_usable(info("slave", "ok")));
    EXPECT_FALSE(replica_usable(info("slave,s_down", "ok")));
    EXPECT_FALSE(replica_usable(info("o_down,slave", "ok")));
    EXPECT_FALSE(replica_usable(info("slave,disconnected", "ok")));
    EXPECT_FALSE(replica_usable(info("slave", "err")));
    EXPECT_FALSE(replica_usable(info("slave", "")));
    // Flags match whole words only.
    EXPECT_TRUE(replica_usable(info("slave,s_downish", "ok")));
}

TEST(SentinelFlags, MatchWholeCommaSeparatedWords) {
    EXPECT_TRUE(has_flag("master", "master"));
    EXPECT_TRUE(has_flag("s_down,master,disconnected", "disconnected"));
    EXPECT_TRUE(has_flag("s_down,master,disconnected", "s_down"));
    EXPECT_FALSE(has_flag("s_down,master", "down"));
    EXPECT_FALSE(has_flag("", "master"));
}

}  // namespace
}  // namespace ucm::redis
