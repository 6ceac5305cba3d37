#pragma once
// A BlockingPool over FakeResources and a FakeClock, plus an observer that records what it saw.

#include "pool/blocking_pool.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_resource.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace ucm::pool::testing {

using namespace std::chrono_literals;

class RecordingObserver final : public PoolObserver {
  public:
    void on_acquire(const AcquireEvent& e) noexcept override {
        std::lock_guard lk(mutex_);
        acquires.push_back(e);
    }
    void on_release(const ReleaseEvent& e) noexcept override {
        std::lock_guard lk(mutex_);
        releases.push_back(e);
    }
    void on_connect(const ConnectEvent& e) noexcept override {
        std::lock_guard lk(mutex_);
        connects.push_back(e);
    }
    void on_leak_suspected(const LeakReport& r) noexcept override {
        std::lock_guard lk(mutex_);
        leaks.push_back(r);
    }
    std::vector<AcquireEvent> acquires;
    std::vector<ReleaseEvent> releases;
    std::vector<ConnectEvent> connects;
    std::vector<LeakReport> leaks;

  private:
    std::mutex mutex_;
};

inline PoolOptions test_options(std::size_t size = 2, std::size_t overflow = 1) {
    PoolOptions o;
    o.size = size;
    o.max_overflow = overflow;
    o.connect_retry_interval = 0ms;
    o.max_lifetime.reset();
    o.idle_timeout.reset();
    o.leak_threshold.reset();
    return o;
}

struct PoolHarness {
    explicit PoolHarness(const PoolOptions& options = test_options())
        : pool(BlockingPoolSetup{.options = options,
                                 .factory = fakes.factory(),
                                 .endpoint = "db.test:5432",
                                 .observer = &observer,
                                 .clock = &clock,
                                 .jitter_seed = 42}) {}

    test::FakeClock clock;
    test::FakeResourceFactory fakes;
    RecordingObserver observer;
    BlockingPool pool;
};

/// Waits (spinning, never sleeping) until `done()` holds; fails the test after 10 s of real time.
template <class Pred>
bool spin_until(Pred done) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        std::this_thread::yield();
    }
    return true;
}

}  // namespace ucm::pool::testing
