// Live roles and replication state of every member, as `status` reports them.
#include "pg_probe.hpp"
#include "redis_probe.hpp"
#include "supervisor_impl.hpp"

namespace ucm::sandbox::detail {
namespace {

constexpr std::chrono::milliseconds kStatusProbeTimeout{1000};

void describe_postgres(const Member& member, MemberStatus& status) {
    const Deadline deadline = Clock::now() + kStatusProbeTimeout;
    std::string error;
    auto probe = PgProbe::connect(member.port, deadline, error);
    std::optional<PgRows> recovery;
    if (probe) recovery = probe->query("SELECT pg_is_in_recovery()", deadline, error);
    if (!recovery) {
        status.detail = "unreachable: " + error;
        return;
    }
    if (recovery->value() == "f") {
        status.role = "primary";
        auto rows = probe->query(
            "SELECT application_name, state, sync_state, "
            "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint "
            "FROM pg_stat_replication ORDER BY application_name",
            deadline, error);
        if (!rows) {
            status.detail = error;
        } else if (rows->rows.empty()) {
            status.detail = "no standby attached";
        } else {
            for (const auto& row : rows->rows) {
                status.detail += (status.detail.empty() ? "standby " : "; standby ") + row[0] + " " + row[1] +
                                 ", " + row[2] + ", replay lag " + row[3] + " B";
            }
        }
        return;
    }
    status.role = "standby";
    auto rows = probe->query(
        "SELECT coalesce((SELECT status || ' from :' || sender_port FROM pg_stat_wal_receiver), "
        "'no WAL receiver'), "
        "greatest(coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0), "
        "0)::bigint",
        deadline, error);
    status.detail = rows ? rows->value(0, 0) + ", replay lag " + rows->value(0, 1) + " B" : error;
}

void describe_redis(const Member& member, MemberStatus& status) {
    std::string error;
    auto role = redis_command(member.port, {"ROLE"}, kStatusProbeTimeout, error);
    if (!role || role->elements.empty()) {
        status.detail = "unreachable: " + error;
        return;
    }
    const auto& fields = role->elements;
    if (fields[0].text == "master") {
        status.role = "master";
        std::string replicas;
        if (fields.size() > 2) {
            for (const auto& replica : fields[2].elements) {
                if (replica.elements.size() >= 2) replicas += " :" + replica.elements[1].text;
            }
        }
        status.detail = replicas.empty() ? "no replica attached" : "replicas" + replicas;
    } else if (fields[0].text == "slave" && fields.size() >= 4) {
        status.role = "replica";
        status.detail = "of :" + std::to_string(fields[2].integer) + ", " + fields[3].text;
    } else {
        status.role = fields[0].text;
    }
}

void describe_sentinel(const Member& member, MemberStatus& status) {
    std::string error;
    auto addr = redis_command(member.port, {"SENTINEL", "get-master-addr-by-name", kMasterName},
                              kStatusProbeTimeout, error);
    status.role = "sentinel";
    if (!addr || addr->elements.size() != 2) {
        status.detail = "unreachable: " + error;
        return;
    }
    status.detail = std::string(kMasterName) + " at :" + addr->elements[1].text;
}

}  // namespace

MemberStatus Supervisor::member_status(const Member& member, bool live) const {
    MemberStatus status;
    status.name = member.name;
    status.kind = kind_name(member.kind);
    status.port = member.port;
    status.pid = member.pid;
    status.running = member.running();
    status.paused = member.paused;
    if (!live) return status;
    if (!member.running()) {
        status.detail = member.starts > 0 ? "stopped (" + describe_wait_status(member.last_wait_status) + ")"
                                          : "never started";
        return status;
    }
    if (member.paused) {
        status.detail = "paused (SIGSTOP)";
        return status;
    }
    switch (member.kind) {
        case Kind::Postgres:
            describe_postgres(member, status);
            break;
        case Kind::Redis:
            describe_redis(member, status);
            break;
        case Kind::Sentinel:
            describe_sentinel(member, status);
            break;
        case Kind::PgBouncer:
            status.role = "pooler";
            status.detail = "transaction pooling in front of pg0";
            break;
    }
    return status;
}

std::vector<MemberStatus> Supervisor::status(bool live) const {
    std::vector<MemberStatus> statuses;
    for (const Member& m : members_) statuses.push_back(member_status(m, live));
    return statuses;
}

}  // namespace ucm::sandbox::detail
