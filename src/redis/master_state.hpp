#pragma once
// What ucm believes about a Sentinel-managed master, as a sans-io state machine (STYLE B6): the
// watcher's announcements and the discovery answers go in, "the master moved; retire the pools of
// generation N" comes out. The owner serialises calls and performs the I/O (ROLE checks, pool
// retirement). Kept free of sockets so every rule below is unit-tested.
//
// The rules (issue 5): `+switch-master` is authoritative and switches at once; discovery prefers
// the answer with the highest config-epoch; an address retired by a switch is never chosen again on
// the word of a sentinel whose epoch is not newer than the one it was retired at (sentinels update
// over ~120 ms, so right after a failover one may still name the old master); from the first
// failover-progress event until the switch or an abort, master writes are fenced.

#include <ucm/core/endpoint.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

namespace ucm::redis {

/// One sentinel's answer to `SENTINEL MASTER <name>`.
struct MasterAnswer {
    Endpoint address{};
    std::uint64_t config_epoch = 0;
};

/// Thread safety: not thread-safe; the owner serialises calls.
class MasterState {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    /// The master in force, if any is known yet.
    [[nodiscard]] const std::optional<Endpoint>& master() const noexcept { return master_; }
    /// Bumped at every switch; connections of older generations must not send.
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
    [[nodiscard]] bool fenced() const noexcept { return fenced_; }
    [[nodiscard]] std::uint64_t known_epoch() const noexcept { return known_epoch_; }

    /// The candidate discovery would switch to, among `answers` (unreachable sentinels simply
    /// give none): the highest config-epoch, skipping retired addresses whose epoch is not newer
    /// than their retirement, and answers older than an epoch already seen. Nullopt: keep the
    /// current master (none qualifies, or the best is the current one, whose epoch is then noted
    /// so that sentinels still behind it are ignored from now on).
    [[nodiscard]] std::optional<MasterAnswer> consider(std::span<const MasterAnswer> answers);

    /// Applies a discovery result whose candidate the owner has verified with `ROLE`. True when
    /// the master changed (the generation was bumped).
    bool adopt(const MasterAnswer& verified);

    /// `+switch-master old -> now`. True when the master changed (the generation was bumped and
    /// the fence lifted). A repeated announcement of the switch already in force changes nothing.
    bool on_switch_master(const Endpoint& old_master, const Endpoint& new_master);

    /// A failover-progress event for this master (the first of them raises the fence).
    void on_failover_started(TimePoint now);
    /// `-failover-abort-*`: the master stays; writes go on.
    void on_failover_aborted() noexcept { fenced_ = false; }
    /// A fence held longer than `limit` is lifted (the switch or abort message was lost with a
    /// sentinel); true if it was. Writes would otherwise wait forever on a failover that ended.
    bool expire_fence(TimePoint now, std::chrono::milliseconds limit) noexcept;

    [[nodiscard]] bool is_retired(const Endpoint& address) const;

private:
    void switch_to(const Endpoint& address);

    std::optional<Endpoint> master_{};
    std::uint64_t generation_ = 0;
    std::uint64_t known_epoch_ = 0;
    bool fenced_ = false;
    TimePoint fenced_since_{};
    std::map<std::string, std::uint64_t> retired_{};  // "host:port" -> epoch it was retired at
};

}  // namespace ucm::redis
