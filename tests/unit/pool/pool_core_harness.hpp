#pragma once
// Drives a PoolCore by hand for the sans-io tests: requests are Waiters with stable addresses, and
// every call's actions land in `out` for the test to inspect.

#include "pool/pool_core.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <vector>

namespace ucm::pool::testing {

using namespace std::chrono_literals;

inline PoolOptions small_options(std::size_t size = 2, std::size_t overflow = 1) {
    PoolOptions o;
    o.size = size;
    o.max_overflow = overflow;
    o.max_lifetime.reset();
    o.idle_timeout.reset();
    o.leak_threshold.reset();
    return o;
}

struct CoreHarness {
    explicit CoreHarness(const PoolOptions& options = small_options(), std::uint64_t seed = 42)
        : core(options, seed) {}

    PoolCore core;
    TimePoint now{std::chrono::hours(1000)};
    Actions out;
    std::deque<Waiter> requests;  // stable addresses

    /// A new request with a deadline `timeout` from now, submitted at once; `out` is cleared first.
    Waiter& acquire(Duration timeout = 5s, SlotId preferred = kNoSlot) {
        Waiter& w = requests.emplace_back();
        w.deadline = now + timeout;
        w.preferred = preferred;
        w.site = std::source_location::current();
        out.clear();
        core.acquire(w, now, out);
        return w;
    }
    /// A request that connects successfully and holds the fresh connection; returns its slot.
    SlotId open_lease() {
        Waiter& w = acquire();
        EXPECT_EQ(w.state, WaitState::Granted);
        EXPECT_EQ(w.kind, GrantKind::Connect);
        out.clear();
        core.on_connected(w.slot, &w, now, out);
        EXPECT_EQ(w.kind, GrantKind::Fresh);
        return w.slot;
    }
    void release(SlotId slot, bool broken = false) {
        out.clear();
        core.release(slot, broken, now, out);
    }
    void maintain() {
        out.clear();
        core.maintain(now, out);
    }
    /// Completes every Close in `out` (as a driver would), collecting their follow-up actions.
    void finish_closes() {
        Actions follow;
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i].kind == ActionKind::Close) core.on_closed(out[i].slot, now, follow);
        }
        out = std::move(follow);
    }
    [[nodiscard]] std::size_t count(ActionKind kind) const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < out.size(); ++i) n += out[i].kind == kind ? 1U : 0U;
        return n;
    }
    [[nodiscard]] std::vector<SlotId> slots_of(ActionKind kind) const {
        std::vector<SlotId> slots;
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i].kind == kind) slots.push_back(out[i].slot);
        }
        return slots;
    }
    [[nodiscard]] bool wakes(const Waiter& w) const {
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i].kind == ActionKind::Wake && out[i].waiter == &w) return true;
        }
        return false;
    }
};

}  // namespace ucm::pool::testing
