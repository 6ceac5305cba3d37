#include "redis/master_state.hpp"

namespace ucm::redis {

std::optional<MasterAnswer> MasterState::consider(std::span<const MasterAnswer> answers) {
    const MasterAnswer* best = nullptr;
    for (const auto& answer : answers) {
        if (answer.config_epoch < known_epoch_) continue;  // a sentinel that has not caught up
        if (const auto it = retired_.find(answer.address.to_string());
            it != retired_.end() && answer.config_epoch <= it->second)
            continue;
        if (best == nullptr || answer.config_epoch > best->config_epoch) best = &answer;
    }
    if (best == nullptr) return std::nullopt;
    if (master_ && *master_ == best->address) {
        known_epoch_ = best->config_epoch;
        return std::nullopt;
    }
    return *best;
}

bool MasterState::adopt(const MasterAnswer& verified) {
    if (verified.config_epoch > known_epoch_) known_epoch_ = verified.config_epoch;
    if (master_ && *master_ == verified.address) return false;
    switch_to(verified.address);
    return true;
}

bool MasterState::on_switch_master(const Endpoint& old_master, const Endpoint& new_master) {
    // A repeat of the switch in force (another sentinel, or discovery got there first) leaves a
    // fence alone: switch_to() already lifted the fence of that failover, so a fence up now
    // belongs to a newer one.
    if (master_ && *master_ == new_master) return false;
    // The old address is retired even when ucm had not learnt it yet (a switch seen first).
    retired_[old_master.to_string()] = known_epoch_;
    switch_to(new_master);
    return true;
}

void MasterState::switch_to(const Endpoint& address) {
    if (master_) retired_[master_->to_string()] = known_epoch_;
    retired_.erase(address.to_string());  // a later failover may well come back to it
    master_ = address;
    ++generation_;
    fenced_ = false;
}

void MasterState::on_failover_started(TimePoint now) {
    if (fenced_) return;
    fenced_ = true;
    fenced_since_ = now;
}

bool MasterState::expire_fence(TimePoint now, std::chrono::milliseconds limit) noexcept {
    if (!fenced_ || now - fenced_since_ < limit) return false;
    fenced_ = false;
    return true;
}

bool MasterState::is_retired(const Endpoint& address) const { return retired_.contains(address.to_string()); }

}  // namespace ucm::redis
