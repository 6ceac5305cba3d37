// The coroutine driver of the pool (BlockingPool::async_acquire_until) over fake resources and a
// fake clock: coroutine requests share the FIFO with threads, and cancellation never takes or
// leaks a connection.
#include "blocking_pool_harness.hpp"

#include <ucm/core/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <future>
#include <optional>

namespace ucm::pool::testing {
namespace {

using test::FakeResource;

/// Polls `io` (never blocking) until `done()` holds; false after 10 s of real time.
template <class Pred>
bool poll_until(asio::io_context& io, Pred done) {
    return spin_until([&] {
        io.restart();
        io.poll();
        return done();
    });
}

/// How a spawned coroutine ended.
struct Outcome {
    bool finished = false;
    std::exception_ptr error{};
};

auto record(Outcome& out) {
    return [&out](std::exception_ptr e) {
        out.finished = true;
        out.error = e;
    };
}

template <class E>
bool failed_with(const Outcome& out) {
    if (!out.error) return false;
    try {
        std::rethrow_exception(out.error);
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

bool aborted(const Outcome& out) {
    if (!out.error) return false;
    try {
        std::rethrow_exception(out.error);
    } catch (const std::system_error& e) {
        return e.code() == asio::error::operation_aborted;
    } catch (...) {
        return false;
    }
}

TimePoint far(const PoolHarness& h) { return h.clock.now() + 1h; }

// Takes a lease, notes `id` in `order`, gives the lease back.
asio::awaitable<void> take_and_note(BlockingPool& pool, TimePoint deadline, std::vector<int>& order, int id) {
    Lease lease = co_await pool.async_acquire_until(deadline);
    order.push_back(id);
}

asio::awaitable<void> take_and_keep(BlockingPool& pool, TimePoint deadline, std::optional<Lease>& kept) {
    kept.emplace(co_await pool.async_acquire_until(deadline));
}

/// One coroutine taking a lease into `kept`, on an io_context of its own, cancellable by `cancel`.
struct Acquirer {
    asio::io_context io;
    asio::cancellation_signal cancel;
    std::optional<Lease> kept;
    Outcome out;

    void start(BlockingPool& pool, TimePoint deadline) {
        asio::co_spawn(io, take_and_keep(pool, deadline, kept), asio::bind_cancellation_slot(cancel.slot(), record(out)));
    }
    template <class Pred>
    bool poll(Pred done) {
        return poll_until(io, done);
    }
    bool finished() {
        return poll_until(io, [&] { return out.finished; });
    }
};

TEST(AsyncPool, AcquireOpensAConnectionAndReleaseKeepsIt) {
    PoolHarness h;
    Acquirer a;
    a.start(h.pool, far(h));
    ASSERT_TRUE(a.finished());
    ASSERT_FALSE(a.out.error);
    ASSERT_TRUE(a.kept.has_value());
    EXPECT_EQ(h.fakes.opens(), 1);
    EXPECT_EQ(h.pool.stats().in_use, 1U);
    a.kept.reset();
    EXPECT_EQ(h.pool.stats().idle, 1U);
    EXPECT_EQ(h.pool.stats().in_use, 0U);
}

TEST(AsyncPool, WarmConnectionIsReusedWithoutAConnect) {
    PoolHarness h;
    { Lease warm = h.pool.acquire(); }
    asio::io_context io;
    std::vector<int> order;
    Outcome out;
    asio::co_spawn(io, take_and_note(h.pool, far(h), order, 1), record(out));
    io.run();  // the warm path completes without leaving the io_context's thread
    EXPECT_TRUE(out.finished);
    EXPECT_EQ(order, std::vector<int>{1});
    EXPECT_EQ(h.fakes.opens(), 1);
}

TEST(AsyncPool, WaitersAreGrantedInEnqueueOrderOnOneThread) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    asio::io_context io;
    std::vector<int> order;
    std::vector<Outcome> outs(50);
    for (int i = 0; i < 50; ++i) {
        asio::co_spawn(io, take_and_note(h.pool, far(h), order, i), record(outs[static_cast<std::size_t>(i)]));
    }
    ASSERT_TRUE(poll_until(io, [&] { return h.pool.stats().waiting == 50; }));
    held.release();
    ASSERT_TRUE(poll_until(io, [&] { return order.size() == 50; }));
    std::vector<int> expected(50);
    for (int i = 0; i < 50; ++i) expected[static_cast<std::size_t>(i)] = i;
    EXPECT_EQ(order, expected);
    EXPECT_EQ(h.fakes.opens(), 1);
    EXPECT_EQ(h.pool.stats().idle, 1U);
}

TEST(AsyncPool, ThreadsAndCoroutinesShareOneFifo) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    std::vector<int> order;
    std::mutex order_mutex;
    std::thread thread_waiter([&] {
        Lease lease = h.pool.acquire_until(far(h));
        std::lock_guard lk(order_mutex);
        order.push_back(1);
    });
    ASSERT_TRUE(spin_until([&] { return h.pool.stats().waiting == 1; }));
    asio::io_context io;
    std::vector<int> coroutine_order;
    Outcome out;
    asio::co_spawn(io, take_and_note(h.pool, far(h), coroutine_order, 2), record(out));
    ASSERT_TRUE(poll_until(io, [&] { return h.pool.stats().waiting == 2; }));
    held.release();
    thread_waiter.join();  // the thread queued first, so it is served first
    ASSERT_TRUE(poll_until(io, [&] { return out.finished; }));
    order.insert(order.end(), coroutine_order.begin(), coroutine_order.end());
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(AsyncPool, CancelledWaiterLeavesTheQueueAndTakesNothing) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    Acquirer a;
    a.start(h.pool, far(h));
    ASSERT_TRUE(a.poll([&] { return h.pool.stats().waiting == 1; }));
    a.cancel.emit(asio::cancellation_type::terminal);
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(aborted(a.out));
    EXPECT_FALSE(a.kept.has_value());
    EXPECT_EQ(h.pool.stats().waiting, 0U);
    held.release();
    EXPECT_EQ(h.pool.stats().idle, 1U);
    EXPECT_EQ(h.pool.stats().in_use, 0U);
}

TEST(AsyncPool, ConnectionGrantedToACancelledWaiterGoesBackToThePool) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    Acquirer a;
    a.start(h.pool, far(h));
    ASSERT_TRUE(a.poll([&] { return h.pool.stats().waiting == 1; }));
    h.clock.advance(10ms);  // the waiter starves: the release hands the connection straight to it
    held.release();
    EXPECT_EQ(h.pool.stats().in_use, 1U);  // granted, not yet resumed
    a.cancel.emit(asio::cancellation_type::terminal);
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(aborted(a.out));
    EXPECT_FALSE(a.kept.has_value());
    EXPECT_EQ(h.pool.stats().in_use, 0U);
    EXPECT_EQ(h.pool.stats().idle, 1U);
    EXPECT_EQ(h.fakes.closes(), 0);
}

// A blocking factory on a blocking-work thread cannot be interrupted: the cancelled coroutine gets
// nothing, and the connection it caused to be opened stays in the pool for the next request.
TEST(AsyncPool, CancelledWhileItsConnectRunsOnABlockingThreadGetsNothingAndThePoolKeepsTheConnection) {
    test::FakeResourceFactory fakes;
    std::promise<void> go;
    std::shared_future<void> gate = go.get_future().share();
    auto held_connect = [make = fakes.factory(), gate](Deadline deadline) {
        gate.wait();
        return make(deadline);
    };
    test::FakeClock clock;
    BlockingPool pool(BlockingPoolSetup{.options = test_options(1, 0), .factory = held_connect,
                                        .endpoint = "db.test:5432", .clock = &clock});
    Acquirer a;
    a.start(pool, clock.now() + 1h);
    ASSERT_TRUE(a.poll([&] { return pool.stats().opening == 1; }));
    a.cancel.emit(asio::cancellation_type::terminal);
    a.io.restart();
    a.io.poll();
    EXPECT_FALSE(a.out.finished);  // it waits for the connect it started
    go.set_value();
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(aborted(a.out));
    EXPECT_FALSE(a.kept.has_value());
    EXPECT_EQ(pool.stats().in_use, 0U);
    EXPECT_EQ(pool.stats().idle, 1U);
    EXPECT_EQ(fakes.opens(), 1);
    Lease next = pool.acquire_for(0ms);
    EXPECT_TRUE(next);
    EXPECT_EQ(fakes.opens(), 1);
}

TEST(AsyncPool, DestroyedWaitingCoroutineLeavesTheQueue) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    {
        Acquirer a;
        a.start(h.pool, far(h));
        ASSERT_TRUE(a.poll([&] { return h.pool.stats().waiting == 1; }));
    }  // the io_context destroys the suspended coroutine frame
    EXPECT_EQ(h.pool.stats().waiting, 0U);
    held.release();
    EXPECT_EQ(h.pool.stats().idle, 1U);
}

TEST(AsyncPool, WaiterTimesOutWithPoolTimeout) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    Acquirer a;
    a.start(h.pool, h.clock.now() + 2s);
    ASSERT_TRUE(a.poll([&] { return h.pool.stats().waiting == 1; }));
    h.clock.advance(2s);
    h.pool.maintain();
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(failed_with<PoolTimeout>(a.out));
    EXPECT_EQ(h.pool.stats().timeouts, 1U);
}

TEST(AsyncPool, NonRetriableConnectErrorReachesTheCoroutineAsItIs) {
    PoolHarness h;
    h.fakes.fail_connects(1, "password authentication failed", true);
    Acquirer a;
    a.start(h.pool, far(h));
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(failed_with<AuthFailed>(a.out));
    EXPECT_EQ(h.pool.stats().opening, 0U);
}

TEST(AsyncPool, ShutdownWakesCoroutineWaitersWithShutDown) {
    PoolHarness h(test_options(1, 0));
    Lease held = h.pool.acquire();
    Acquirer a;
    a.start(h.pool, far(h));
    ASSERT_TRUE(a.poll([&] { return h.pool.stats().waiting == 1; }));
    EXPECT_FALSE(h.pool.shutdown(0ms));
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(failed_with<ShutDown>(a.out));
}

TEST(AsyncPool, DeadIdleConnectionIsReplacedOffTheCallersThread) {
    PoolHarness h;
    { Lease warm = h.pool.acquire(); }
    h.fakes.kill_all();
    Acquirer a;
    a.start(h.pool, far(h));
    ASSERT_TRUE(a.finished());
    ASSERT_FALSE(a.out.error);
    EXPECT_EQ(h.fakes.opens(), 2);
    EXPECT_TRUE(a.kept->as<FakeResource>().is_alive());
}

TEST(AsyncPool, ReleaseNeedingARoundTripResetsOffTheCoroutinesThread) {
    PoolHarness h;
    h.fakes.state().resets_need_io = true;
    asio::io_context io;
    std::vector<int> order;
    Outcome out;
    asio::co_spawn(io, take_and_note(h.pool, far(h), order, 1), record(out));
    ASSERT_TRUE(poll_until(io, [&] { return out.finished && h.pool.stats().idle == 1; }));
    std::lock_guard lk(h.fakes.state().mutex);
    EXPECT_NE(h.fakes.state().last_reset_thread, std::this_thread::get_id());
    EXPECT_NE(h.fakes.state().last_reset_thread, std::thread::id{});
}

TEST(AsyncPool, PoolDestroyedRightAfterACoroutineReleaseNeverCallsItsObserverLater) {
    RecordingObserver observer;
    test::FakeResourceFactory fakes;
    fakes.state().resets_need_io = true;
    {
        BlockingPool pool(BlockingPoolSetup{.options = test_options(), .factory = fakes.factory(),
                                            .endpoint = "db.test:5432", .observer = &observer});
        asio::io_context io;
        std::vector<int> order;
        Outcome out;
        asio::co_spawn(io, take_and_note(pool, TimePoint::max(), order, 1), record(out));
        ASSERT_TRUE(poll_until(io, [&] { return out.finished; }));
    }  // waits for the reset still running on a blocking-work thread
    EXPECT_EQ(observer.releases.size(), 1U);
    EXPECT_EQ(fakes.state().resets.load(), 1);
}

// An async factory over the fakes that notes the thread it runs on and can be made to hang.
struct AsyncFakes {
    test::FakeResourceFactory fakes;
    std::thread::id ran_on{};
    bool hang = false;
    AsyncResourceFactory factory() {
        return [this](Deadline deadline) -> asio::awaitable<std::unique_ptr<PooledResource>> {
            ran_on = std::this_thread::get_id();
            if (hang) {
                asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
                co_await forever.async_wait(asio::use_awaitable);
            }
            co_return fakes.factory()(deadline);
        };
    }
};

TEST(AsyncPool, AsyncFactoryConnectsOnTheCallersExecutor) {
    AsyncFakes async;
    test::FakeClock clock;
    BlockingPool pool(BlockingPoolSetup{.options = test_options(), .factory = async.fakes.factory(),
                                        .async_factory = async.factory(), .endpoint = "db.test:5432",
                                        .clock = &clock});
    Acquirer a;
    a.start(pool, clock.now() + 1h);
    a.io.run();  // no blocking-work thread involved: run() returns once the coroutine is done
    ASSERT_TRUE(a.out.finished);
    ASSERT_FALSE(a.out.error);
    EXPECT_EQ(async.ran_on, std::this_thread::get_id());
    EXPECT_EQ(async.fakes.opens(), 1);
    a.kept.reset();
    EXPECT_EQ(pool.stats().idle, 1U);
}

TEST(AsyncPool, CancelledDuringAnAsyncConnectFreesTheSlot) {
    AsyncFakes async;
    async.hang = true;
    test::FakeClock clock;
    BlockingPool pool(BlockingPoolSetup{.options = test_options(1, 0), .factory = async.fakes.factory(),
                                        .async_factory = async.factory(), .endpoint = "db.test:5432",
                                        .clock = &clock});
    Acquirer a;
    a.start(pool, clock.now() + 1h);
    ASSERT_TRUE(a.poll([&] { return pool.stats().opening == 1; }));
    a.cancel.emit(asio::cancellation_type::terminal);
    ASSERT_TRUE(a.finished());
    EXPECT_TRUE(aborted(a.out));
    EXPECT_EQ(pool.stats().opening, 0U);
    EXPECT_EQ(pool.stats().connect_failures, 0U);
    async.hang = false;
    Lease next = pool.acquire_for(0ms);  // the slot is free again
    EXPECT_TRUE(next);
}

}  // namespace
}  // namespace ucm::pool::testing
