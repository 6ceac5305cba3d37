// The Sentinel watcher against real sentinels.
//
// SentinelWatcher.*: the shared sandbox's sentinels, untouched (plus local sockets standing in for
// a dead or a stalled sentinel). SentinelWatcherDestructive.*: each starts its own Redis sandbox
// (master redis0, replica redis1, sentinel0..2) and fails it over, kills a sentinel or SIGSTOPs
// one, always by PID through the sandbox. SentinelWatcherConcurrency.*: stop() racing the io
// thread's callbacks, for TSan.
//
// Oracles count events and check their order; durations are printed for the report, never asserted
// beyond generous "it happened at all" bounds. Over 500 lines on purpose: the three tiers share the
// recorder, the io thread and the helpers, which splitting the file would duplicate.
#include "core/value_parse.hpp"
#include "redis/sentinel_watcher.hpp"
#include "support/sandbox_env.hpp"

#include <ucm/sandbox/sandbox.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

namespace ucm::redis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<Endpoint> endpoints(const std::string& list) {
    return ucm::detail::parse_endpoint_list(list, 26379, "sentinels", ucm::detail::Quote::Allowed);
}

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

/// One blocking command on a fresh connection: the reply's text (status, string, error, or an
/// array's first element); nullopt when the server cannot be asked.
std::optional<std::string> ask(const Endpoint& at, const std::vector<std::string>& argv) {
    const timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout(at.host.c_str(), at.port, tv);
    if (c == nullptr || c->err != 0) {
        if (c != nullptr) redisFree(c);
        return std::nullopt;
    }
    redisSetTimeout(c, tv);
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    for (const auto& a : argv) {
        args.push_back(a.c_str());
        lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
    std::optional<std::string> out;
    if (r != nullptr) {
        const redisReply* first = (r->type == REDIS_REPLY_ARRAY && r->elements > 0) ? r->element[0] : r;
        out = first->str != nullptr ? std::string(first->str, first->len) : std::string();
        freeReplyObject(r);
    }
    redisFree(c);
    return out;
}

/// Polls `condition` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

/// An io_context run by one thread, as the watcher's owner runs it.
class IoThread {
public:
    IoThread() : thread_([this] { io.run(); }) {}
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;
    ~IoThread() {
        guard_.reset();
        io.stop();
        thread_.join();
    }
    asio::io_context io;

private:
    asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io);
    std::thread thread_;
};

/// Every callback the watcher made, in order, with the time it arrived.
class Recorder {
public:
    struct Event {
        enum class Kind { Switch, Failover, State, Resubscribed, Address } kind;
        std::size_t sentinel = 0;
        Clock::time_point at{};
        std::optional<SwitchMaster> switched{};
        std::optional<FailoverEvent> failover{};
        bool reachable = false;
        Endpoint address{};
    };
    using Kind = Event::Kind;

    SentinelWatcherCallbacks callbacks() {
        return {
            .on_switch_master = [this](const SwitchMaster& s, std::size_t i) { add({.kind = Kind::Switch, .sentinel = i, .switched = s}); },
            .on_failover_event = [this](const FailoverEvent& e, std::size_t i) { add({.kind = Kind::Failover, .sentinel = i, .failover = e}); },
            .on_sentinel_state = [this](std::size_t i, bool up) { add({.kind = Kind::State, .sentinel = i, .reachable = up}); },
            .on_resubscribed = [this](std::size_t i) { add({.kind = Kind::Resubscribed, .sentinel = i}); },
            .on_master_address = [this](std::size_t i, const Endpoint& a) { add({.kind = Kind::Address, .sentinel = i, .address = a}); },
        };
    }
    std::vector<Event> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t count(const std::function<bool(const Event&)>& match) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(), match));
    }
    std::size_t count(Kind kind, std::optional<std::size_t> sentinel = std::nullopt) const {
        return count([&](const Event& e) { return e.kind == kind && (!sentinel || e.sentinel == *sentinel); });
    }
    std::optional<Event> first(const std::function<bool(const Event&)>& match) const {
        std::lock_guard lock(mutex_);
        for (const auto& e : events_) {
            if (match(e)) return e;
        }
        return std::nullopt;
    }
    /// The reachability last reported for a sentinel.
    std::optional<bool> state_of(std::size_t sentinel) const {
        std::lock_guard lock(mutex_);
        std::optional<bool> state;
        for (const auto& e : events_) {
            if (e.kind == Kind::State && e.sentinel == sentinel) state = e.reachable;
        }
        return state;
    }

private:
    void add(Event e) {
        e.at = Clock::now();
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(e));
    }
    mutable std::mutex mutex_;
    std::vector<Event> events_;
};

SentinelWatcherOptions watcher_options(std::vector<Endpoint> sentinels, std::string master_name) {
    return {.sentinels = std::move(sentinels),
            .master_name = std::move(master_name),
            .connect_timeout = 500ms,
            .command_timeout = 500ms,
            .poll_interval = 200ms,
            .backoff_initial = 50ms,
            .backoff_max = 500ms};
}

bool all_subscribed(const Recorder& rec, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (rec.count(Recorder::Kind::Resubscribed, i) == 0) return false;
    }
    return true;
}

/// A local TCP port nothing listens on, or one that accepts and never answers.
class FakeSentinel {
public:
    explicit FakeSentinel(bool listening) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 64) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            throw std::runtime_error("fake sentinel: cannot listen");
        }
        endpoint_ = {"127.0.0.1", ntohs(addr.sin_port)};
        if (!listening) close();
    }
    FakeSentinel(const FakeSentinel&) = delete;
    FakeSentinel& operator=(const FakeSentinel&) = delete;
    ~FakeSentinel() { close(); }
    [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }

private:
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd_ = -1;
    Endpoint endpoint_{};
};

// ---- the shared sandbox: nothing is changed --------------------------------------------------

TEST(SentinelWatcher, EverySentinelSubscribesAndNamesTheMaster) {
    const auto& env = test::sandbox_env();
    const auto sentinels = endpoints(env.redis_sentinels);
    const Endpoint master = ucm::detail::parse_endpoint(env.redis_master, 6379, "master", ucm::detail::Quote::Allowed);
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, watcher_options(sentinels, env.redis_master_name), rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return all_subscribed(rec, sentinels.size()); }, 10s));
    ASSERT_TRUE(eventually([&] {
        for (std::size_t i = 0; i < sentinels.size(); ++i) {
            if (rec.count([&](const auto& e) { return e.kind == Recorder::Kind::Address && e.sentinel == i; }) < 2)
                return false;
        }
        return true;
    }, 10s));
    for (std::size_t i = 0; i < sentinels.size(); ++i) {
        EXPECT_EQ(rec.state_of(i), true) << i;
        EXPECT_EQ(rec.count(Recorder::Kind::Resubscribed, i), 1u) << i;
    }
    EXPECT_EQ(rec.count([&](const auto& e) { return e.kind == Recorder::Kind::Address && !(e.address == master); }), 0u);
    // Reachability is told before the resubscription it comes with.
    const auto up = rec.first([](const auto& e) { return e.kind == Recorder::Kind::State; });
    const auto resub = rec.first([](const auto& e) { return e.kind == Recorder::Kind::Resubscribed; });
    ASSERT_TRUE(up && resub);
    EXPECT_LE(up->at, resub->at);
    const auto snap = watcher.snapshot();
    ASSERT_EQ(snap.size(), sentinels.size());
    for (std::size_t i = 0; i < snap.size(); ++i) {
        EXPECT_EQ(snap[i].endpoint, sentinels[i]);
        EXPECT_TRUE(snap[i].reachable);
        EXPECT_TRUE(snap[i].last_poll_rtt.has_value());
        EXPECT_EQ(snap[i].master, master);
        EXPECT_EQ(snap[i].reconnects, 0u);
    }
    EXPECT_EQ(rec.count(Recorder::Kind::Switch), 0u);
    EXPECT_EQ(rec.count(Recorder::Kind::Failover), 0u);
    watcher.stop();
    const auto after_stop = rec.events().size();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(rec.events().size(), after_stop) << "a callback ran after stop() returned";
}

TEST(SentinelWatcher, DeadAndStalledSentinelsAreUnreachableAndRetriedWhileOthersWork) {
    const auto& env = test::sandbox_env();
    auto sentinels = endpoints(env.redis_sentinels);
    FakeSentinel dead(false);    // connection refused
    FakeSentinel stalled(true);  // accepts (the kernel does), never answers: like a SIGSTOPped one
    sentinels.push_back(dead.endpoint());
    sentinels.push_back(stalled.endpoint());
    const std::size_t dead_i = sentinels.size() - 2;
    const std::size_t stalled_i = sentinels.size() - 1;
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, watcher_options(sentinels, env.redis_master_name), rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return all_subscribed(rec, dead_i); }, 10s));
    ASSERT_TRUE(eventually([&] {
        const auto snap = watcher.snapshot();
        return snap[dead_i].reconnects >= 2 && snap[stalled_i].reconnects >= 2;
    }, 10s));
    EXPECT_EQ(rec.state_of(dead_i), false);
    EXPECT_EQ(rec.state_of(stalled_i), false);
    // Each unreachable sentinel is reported once, not at every retry.
    EXPECT_EQ(rec.count(Recorder::Kind::State, dead_i), 1u);
    EXPECT_EQ(rec.count(Recorder::Kind::State, stalled_i), 1u);
    EXPECT_EQ(rec.count(Recorder::Kind::Resubscribed, dead_i), 0u);
    EXPECT_EQ(rec.count(Recorder::Kind::Resubscribed, stalled_i), 0u);
    const auto snap = watcher.snapshot();
    EXPECT_NE(snap[dead_i].last_error.find(dead.endpoint().to_string()), std::string::npos) << snap[dead_i].last_error;
    EXPECT_NE(snap[stalled_i].last_error.find("no reply"), std::string::npos) << snap[stalled_i].last_error;
    for (std::size_t i = 0; i < dead_i; ++i) {
        EXPECT_EQ(rec.state_of(i), true);
        EXPECT_TRUE(snap[i].reachable);
    }
}

TEST(SentinelWatcher, RefusedAuthIsUnreachableAndNeverShowsThePassword) {
    const auto& env = test::sandbox_env();
    const auto sentinels = endpoints(env.redis_sentinels);
    auto options = watcher_options({sentinels.at(0)}, env.redis_master_name);
    options.password = Secret("not-the-password-42");  // the sandbox's sentinels have none: AUTH fails
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, options, rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return rec.state_of(0) == false; }, 10s));
    const auto snap = watcher.snapshot();
    EXPECT_NE(snap[0].last_error.find("AUTH"), std::string::npos) << snap[0].last_error;
    EXPECT_EQ(snap[0].last_error.find("not-the-password-42"), std::string::npos) << snap[0].last_error;
    EXPECT_EQ(rec.count(Recorder::Kind::Resubscribed), 0u);
}

TEST(SentinelWatcher, UnknownMasterNameGivesNoAddressAndNoEvents) {
    const auto& env = test::sandbox_env();
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, watcher_options(endpoints(env.redis_sentinels), "no-such-master"), rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return all_subscribed(rec, endpoints(env.redis_sentinels).size()); }, 10s));
    ASSERT_TRUE(eventually([&] { return !watcher.snapshot()[0].last_error.empty(); }, 5s));
    EXPECT_NE(watcher.snapshot()[0].last_error.find("does not monitor"), std::string::npos);
    EXPECT_EQ(rec.count(Recorder::Kind::Address), 0u);
}

TEST(SentinelWatcher, NeverStartedNeedsNoIoThreadToStop) {
    asio::io_context io;  // nobody runs it
    Recorder rec;
    {
        SentinelWatcher watcher(io, watcher_options({{"127.0.0.1", 1}}, "mymaster"), rec.callbacks());
        watcher.stop();
        watcher.start();  // after stop(): a no-op
    }
    io.run_for(50ms);
    EXPECT_EQ(rec.events().size(), 0u);
}

// ---- stop() racing the io thread (TSan) ------------------------------------------------------

TEST(SentinelWatcherConcurrency, StopFromAnotherThreadRacesCallbacksAndSnapshots) {
    const auto& env = test::sandbox_env();
    const auto sentinels = endpoints(env.redis_sentinels);
    IoThread io;
    for (int round = 0; round < 20; ++round) {
        std::atomic<bool> stopped{false};
        std::atomic<int> late{0};
        std::atomic<int> calls{0};
        auto count = [&] {
            ++calls;
            if (stopped.load()) ++late;
        };
        SentinelWatcherCallbacks callbacks{
            .on_switch_master = [&](const SwitchMaster&, std::size_t) { count(); },
            .on_failover_event = [&](const FailoverEvent&, std::size_t) { count(); },
            .on_sentinel_state = [&](std::size_t, bool) { count(); },
            .on_resubscribed = [&](std::size_t) { count(); },
            .on_master_address = [&](std::size_t, const Endpoint&) { count(); },
        };
        auto options = watcher_options(sentinels, env.redis_master_name);
        options.poll_interval = 1ms;  // as many callbacks as the io thread can make
        auto watcher = std::make_unique<SentinelWatcher>(io.io, options, callbacks);
        std::atomic<bool> reading{true};
        std::thread reader([&] {
            while (reading.load()) (void)watcher->snapshot();
        });
        watcher->start();
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * (round % 5)));
        watcher->stop();
        stopped.store(true);
        reading.store(false);
        reader.join();
        watcher.reset();  // destroyed off the io thread while it keeps running
        std::this_thread::sleep_for(5ms);
        EXPECT_EQ(late.load(), 0) << "round " << round;
    }
}

// ---- destructive: each test starts its own sandbox -------------------------------------------

class SentinelWatcherDestructive : public ::testing::Test {
protected:
    void SetUp() override {
        box_.emplace(sandbox::Sandbox::start({.postgres = false, .redis = true, .supervisor_exe = test::cli_path()}));
        sentinels_ = endpoints(box_->env().at("UCM_TEST_REDIS_SENTINELS"));
        name_ = box_->env().at("UCM_TEST_REDIS_MASTER_NAME");
        // Sentinels need a moment to find each other (ENVIRONMENT gotcha 6): a failover or a
        // kill before every one of them reports a reachable quorum may never complete.
        ASSERT_TRUE(eventually([&] {
            for (const auto& s : sentinels_) {
                auto ok = ask(s, {"SENTINEL", "CKQUORUM", name_});
                if (!ok || ok->rfind("OK", 0) != 0) return false;
            }
            return true;
        }, 30s)) << "sentinels never reached quorum";
    }
    void TearDown() override {
        if (box_) box_->stop();
    }
    [[nodiscard]] Endpoint redis(const char* member) const {
        return {"127.0.0.1", static_cast<std::uint16_t>(box_->port(member))};
    }
    /// The index of a sentinel member in the env's list (the sandbox lists them in order).
    [[nodiscard]] std::size_t index_of(const char* member) const {
        const Endpoint e{"127.0.0.1", static_cast<std::uint16_t>(box_->port(member))};
        return static_cast<std::size_t>(std::find(sentinels_.begin(), sentinels_.end(), e) - sentinels_.begin());
    }

    std::optional<sandbox::Sandbox> box_;
    std::vector<Endpoint> sentinels_;
    std::string name_;
};

TEST_F(SentinelWatcherDestructive, FailoverIsStartedFirstThenOneSwitchToTheFormerReplica) {
    const Endpoint old_master = redis("redis0");
    const Endpoint replica = redis("redis1");
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, watcher_options(sentinels_, name_), rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return all_subscribed(rec, sentinels_.size()); }, 10s));

    const auto requested = Clock::now();
    box_->sentinel_failover();
    ASSERT_TRUE(eventually([&] { return rec.count(Recorder::Kind::Switch) > 0; }, 30s)) << "no +switch-master";
    // Let every sentinel catch up (they learn the new config from each other's hellos) and
    // announce the switch too; the watcher must have told it only once.
    ASSERT_TRUE(eventually([&] {
        for (std::size_t i = 0; i < sentinels_.size(); ++i) {
            const auto snap = watcher.snapshot();
            if (!(snap[i].master == replica)) return false;
        }
        return true;
    }, 20s));
    std::this_thread::sleep_for(1s);

    const auto events = rec.events();
    const auto sw = rec.first([](const auto& e) { return e.kind == Recorder::Kind::Switch; });
    const auto started = rec.first([](const auto& e) {
        return e.kind == Recorder::Kind::Failover && e.failover->kind == FailoverEventKind::Started;
    });
    ASSERT_TRUE(sw && started);
    EXPECT_LT(started->at, sw->at) << "the fence must go up before the switch";
    EXPECT_EQ(rec.count(Recorder::Kind::Switch), 1u);
    EXPECT_EQ(sw->switched->master_name, name_);
    EXPECT_EQ(sw->switched->old_master, old_master);
    EXPECT_EQ(sw->switched->new_master, replica);
    EXPECT_EQ(ask(replica, {"ROLE"}), "master");
    // One Started per failover, however many sentinels report progress; nothing aborted.
    EXPECT_EQ(rec.count([](const auto& e) {
                  return e.kind == Recorder::Kind::Failover && e.failover->kind == FailoverEventKind::Started;
              }),
              1u);
    EXPECT_EQ(rec.count([](const auto& e) {
                  return e.kind == Recorder::Kind::Failover && e.failover->kind == FailoverEventKind::Aborted;
              }),
              0u);
    // No sentinel was lost on the way, and polls now name the new master only.
    EXPECT_EQ(rec.count([](const auto& e) { return e.kind == Recorder::Kind::State && !e.reachable; }), 0u);
    std::cout << "[timing] SENTINEL FAILOVER -> Started " << ms_between(requested, started->at) << " ms ("
              << started->failover->channel << "), Started -> +switch-master " << ms_between(started->at, sw->at)
              << " ms, request -> switch " << ms_between(requested, sw->at) << " ms\n";
    for (const auto& e : events) {
        if (e.kind == Recorder::Kind::Address && e.at > sw->at + 1s) {
            EXPECT_EQ(e.address, replica);
        }
    }
}

TEST_F(SentinelWatcherDestructive, KilledSentinelIsUnreachableOthersKeepWorkingAndRestartResubscribes) {
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, watcher_options(sentinels_, name_), rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return all_subscribed(rec, sentinels_.size()); }, 10s));
    const std::size_t victim = index_of("sentinel1");
    ASSERT_LT(victim, sentinels_.size());

    const auto killed_at = Clock::now();
    box_->kill("sentinel1");
    ASSERT_TRUE(eventually([&] { return rec.state_of(victim) == false; }, 10s));
    const auto down = rec.first([&](const auto& e) {
        return e.kind == Recorder::Kind::State && e.sentinel == victim && !e.reachable;
    });
    // The others keep answering their polls meanwhile.
    const auto before = rec.count(Recorder::Kind::Address);
    ASSERT_TRUE(eventually([&] {
        for (std::size_t i = 0; i < sentinels_.size(); ++i) {
            if (i == victim) continue;
            if (rec.count([&](const auto& e) { return e.kind == Recorder::Kind::Address && e.sentinel == i &&
                                                     e.at > down->at; }) < 2)
                return false;
        }
        return true;
    }, 10s));
    EXPECT_GT(rec.count(Recorder::Kind::Address), before);
    for (std::size_t i = 0; i < sentinels_.size(); ++i) {
        if (i != victim) {
            EXPECT_EQ(rec.state_of(i), true) << i;
        }
    }
    EXPECT_FALSE(watcher.snapshot()[victim].reachable);

    box_->start_member("sentinel1");
    const auto restarted_at = Clock::now();
    ASSERT_TRUE(eventually([&] { return rec.count(Recorder::Kind::Resubscribed, victim) >= 2; }, 15s));
    EXPECT_EQ(rec.state_of(victim), true);
    const auto up = rec.first([&](const auto& e) {
        return e.kind == Recorder::Kind::State && e.sentinel == victim && e.reachable && e.at > down->at;
    });
    ASSERT_TRUE(up);
    EXPECT_TRUE(watcher.snapshot()[victim].reachable);
    EXPECT_GE(watcher.snapshot()[victim].reconnects, 1u);
    std::cout << "[timing] kill -9 -> unreachable " << ms_between(killed_at, down->at)
              << " ms; started (ready) -> resubscribed " << ms_between(restarted_at, up->at) << " ms\n";
}

TEST_F(SentinelWatcherDestructive, PausedSentinelIsUnreachableWithinAPollAndBackAfterResume) {
    const auto options = watcher_options(sentinels_, name_);
    Recorder rec;
    IoThread io;
    SentinelWatcher watcher(io.io, options, rec.callbacks());
    watcher.start();
    ASSERT_TRUE(eventually([&] { return all_subscribed(rec, sentinels_.size()); }, 10s));
    const std::size_t victim = index_of("sentinel2");
    ASSERT_LT(victim, sentinels_.size());

    const auto paused_at = Clock::now();
    box_->pause("sentinel2");
    ASSERT_TRUE(eventually([&] { return rec.state_of(victim) == false; }, 10s));
    const auto down = rec.first([&](const auto& e) {
        return e.kind == Recorder::Kind::State && e.sentinel == victim && !e.reachable;
    });
    const double detect_ms = ms_between(paused_at, down->at);
    // poll_interval + command_timeout, plus room for a slow machine; the oracle is that it is
    // noticed at all while the TCP connection stays up.
    EXPECT_LT(detect_ms, static_cast<double>((options.poll_interval + options.command_timeout + 2s).count()));
    EXPECT_NE(watcher.snapshot()[victim].last_error.find("no reply"), std::string::npos)
        << watcher.snapshot()[victim].last_error;
    for (std::size_t i = 0; i < sentinels_.size(); ++i) {
        if (i != victim) {
            EXPECT_EQ(rec.state_of(i), true) << i;
        }
    }
    std::this_thread::sleep_for(1500ms);  // several reconnect attempts against the stopped process
    EXPECT_EQ(rec.count(Recorder::Kind::State, victim), 2u) << "unreachable is told once";

    const auto resumed_at = Clock::now();
    box_->resume("sentinel2");
    ASSERT_TRUE(eventually([&] { return rec.state_of(victim) == true; }, 15s));
    const auto up = rec.first([&](const auto& e) {
        return e.kind == Recorder::Kind::State && e.sentinel == victim && e.reachable && e.at > down->at;
    });
    ASSERT_TRUE(up);
    EXPECT_GE(rec.count(Recorder::Kind::Resubscribed, victim), 2u);
    std::cout << "[timing] SIGSTOP -> unreachable " << detect_ms << " ms; SIGCONT -> reachable "
              << ms_between(resumed_at, up->at) << " ms\n";
}

}  // namespace
}  // namespace ucm::redis
