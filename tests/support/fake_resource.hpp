#pragma once
// A pooled "connection" with no server behind it, for unit tests of the pool: it counts what the
// pool does to it and can be told to fail connects, die, fail pings or come back dirty.

#include <ucm/core/error.hpp>
#include <ucm/pool/pooled_resource.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ucm::test {

class FakeResource;

/// What every FakeResource of one factory reports to, and the factory's behaviour switches.
/// Thread safety: safe to share.
struct FakeResourceState {
    std::atomic<int> connect_attempts{0};
    std::atomic<int> opens{0};  ///< successful connects
    std::atomic<int> closes{0};
    std::atomic<int> destroyed{0};
    std::atomic<int> alive_checks{0};
    std::atomic<int> pings{0};
    std::atomic<int> resets{0};
    std::atomic<int> next_id{0};

    std::atomic<int> failures_left{0};      ///< the next N connects fail (-1: all of them)
    std::atomic<bool> fail_fatally{false};  ///< failures are AuthFailed (not retriable)
    std::atomic<bool> new_ones_fail_ping{false};
    std::atomic<bool> resets_need_io{false};  ///< reset_is_free() says false (as for a real round trip)
    std::mutex mutex;  ///< guards the two fields below
    std::string failure_message = "connection refused";
    ucm::Deadline last_connect_deadline{};
    std::thread::id last_reset_thread{};
    std::vector<FakeResource*> live{};  ///< guarded by mutex
};

/// Thread safety: not thread-safe (like a real connection); the switches are atomics, so a test
/// may flip them while the pool holds the resource.
class FakeResource final : public ucm::pool::PooledResource {
  public:
    explicit FakeResource(std::shared_ptr<FakeResourceState> state)
        : state_(std::move(state)), id_(state_->next_id++) {
        fail_ping_ = state_->new_ones_fail_ping.load();
        std::lock_guard lk(state_->mutex);
        state_->live.push_back(this);
    }
    ~FakeResource() override {
        ++state_->destroyed;
        std::lock_guard lk(state_->mutex);
        std::erase(state_->live, this);
    }

    bool is_alive() noexcept override {
        ++state_->alive_checks;
        return alive_.load() && !closed_.load();
    }
    bool ping(ucm::Deadline /*deadline*/) noexcept override {
        ++state_->pings;
        return alive_.load() && !fail_ping_.load();
    }
    ucm::pool::ResetResult reset(ucm::Deadline /*deadline*/) noexcept override {
        ++state_->resets;
        {
            std::lock_guard lk(state_->mutex);
            state_->last_reset_thread = std::this_thread::get_id();
        }
        return dirty_.load() ? ucm::pool::ResetResult::MustClose : ucm::pool::ResetResult::Clean;
    }
    bool reset_is_free() noexcept override { return !state_->resets_need_io.load(); }
    void close() noexcept override {
        ++state_->closes;
        closed_ = true;
    }

    void die() noexcept { alive_ = false; }
    void fail_pings() noexcept { fail_ping_ = true; }
    void make_dirty() noexcept { dirty_ = true; }
    [[nodiscard]] int id() const noexcept { return id_; }
    [[nodiscard]] bool closed() const noexcept { return closed_.load(); }

  private:
    std::shared_ptr<FakeResourceState> state_;
    int id_;
    std::atomic<bool> alive_{true};
    std::atomic<bool> fail_ping_{false};
    std::atomic<bool> dirty_{false};
    std::atomic<bool> closed_{false};
};

/// Makes FakeResources for a pool and keeps the score.
/// Thread safety: safe to share.
class FakeResourceFactory {
  public:
    FakeResourceFactory() : state_(std::make_shared<FakeResourceState>()) {}

    /// The factory function to give a pool; it shares this object's state (and may outlive it).
    [[nodiscard]] ucm::pool::ResourceFactory factory() const {
        return [state = state_](ucm::Deadline deadline) -> std::unique_ptr<ucm::pool::PooledResource> {
            ++state->connect_attempts;
            {
                std::lock_guard lk(state->mutex);
                state->last_connect_deadline = deadline;
            }
            int left = state->failures_left.load();
            while (left != 0 &&
                   !state->failures_left.compare_exchange_weak(left, left > 0 ? left - 1 : left)) {
            }
            if (left != 0) {
                std::string message;
                {
                    std::lock_guard lk(state->mutex);
                    message = state->failure_message;
                }
                if (state->fail_fatally) throw ucm::AuthFailed({.message = message});
                throw ucm::ConnectionFailed({.message = message});
            }
            ++state->opens;
            return std::make_unique<FakeResource>(state);
        };
    }

    /// The next `n` connects fail with `message` (n = -1: every connect until succeed_connects()).
    void fail_connects(int n, std::string message = "connection refused", bool fatally = false) {
        {
            std::lock_guard lk(state_->mutex);
            state_->failure_message = std::move(message);
        }
        state_->fail_fatally = fatally;
        state_->failures_left = n;
    }
    void succeed_connects() { state_->failures_left = 0; }
    /// Every open connection dies (a server restart).
    void kill_all() {
        std::lock_guard lk(state_->mutex);
        for (FakeResource* r : state_->live) r->die();
    }
    [[nodiscard]] ucm::Deadline last_connect_deadline() const {
        std::lock_guard lk(state_->mutex);
        return state_->last_connect_deadline;
    }
    [[nodiscard]] FakeResourceState& state() const noexcept { return *state_; }
    [[nodiscard]] int connect_attempts() const { return state_->connect_attempts.load(); }
    [[nodiscard]] int opens() const { return state_->opens.load(); }
    [[nodiscard]] int closes() const { return state_->closes.load(); }
    [[nodiscard]] int destroyed() const { return state_->destroyed.load(); }
    [[nodiscard]] int pings() const { return state_->pings.load(); }
    [[nodiscard]] int resets() const { return state_->resets.load(); }
    [[nodiscard]] int alive_checks() const { return state_->alive_checks.load(); }

  private:
    std::shared_ptr<FakeResourceState> state_;
};

}  // namespace ucm::test
