#pragma once
// Writers and clocks for Redis failover tests and benchmarks (counting oracles): ucm writing
// sequence numbers into a set, the clients it is compared with, and the test's own ear on the
// sentinels. Each writer keeps every acknowledgement with its send time and server, so a test can
// tell which acknowledged writes a failover lost and when writes resumed where.

#include "support/raw_redis.hpp"

#include <ucm/manager/unified_connection_manager.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ucm::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// One write a millisecond: the rate the figures are quoted at.
constexpr auto kWriteInterval = 1ms;

struct Ack {
    long value = 0;
    Clock::time_point sent{};
    Clock::time_point acked{};
    std::string endpoint{};
};

/// The acknowledgements one writer collected; read by the test while the writer goes on.
/// Thread safety: safe to share.
class AckLog {
public:
    void add(Ack ack) {
        std::lock_guard lock(mutex_);
        acks_.push_back(std::move(ack));
    }
    std::vector<Ack> acks() const {
        std::lock_guard lock(mutex_);
        return acks_;
    }
    std::size_t acked_at(const std::string& endpoint, Clock::time_point after) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(acks_.begin(), acks_.end(), [&](const Ack& a) {
            return a.endpoint == endpoint && a.acked > after;
        }));
    }

private:
    mutable std::mutex mutex_;
    std::vector<Ack> acks_;
};

/// Writes 0, 1, 2... into a set through the manager, retrying what was not sent; a write whose
/// outcome is unknown (the connection failed after sending) is counted, never acknowledged.
class UcmWriter {
public:
    UcmWriter(UnifiedConnectionManager& manager, std::string key) : manager_(manager), key_(std::move(key)) {
        thread_ = std::thread([this] { run(); });
    }
    ~UcmWriter() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::vector<Ack> acks() const { return log_.acks(); }
    std::size_t acked_at(const std::string& endpoint, Clock::time_point after) const {
        return log_.acked_at(endpoint, after);
    }
    long in_doubt() const { return in_doubt_; }
    long retried() const { return retried_; }

private:
    void run() {
        long next = 0;
        auto tick = Clock::now();
        while (!stop_) {
            try {
                auto lease = manager_.redis(ConnectionMode::ReadWrite);
                while (!stop_) {
                    tick += kWriteInterval;
                    std::this_thread::sleep_until(tick);
                    const auto sent = Clock::now();
                    lease.command("SADD", key_, next);
                    log_.add({next++, sent, Clock::now(), lease.endpoint()});
                }
            } catch (const Error& e) {
                if (e.retriable()) {
                    ++retried_;  // nothing was applied: the same number again, after a breath
                    std::this_thread::sleep_for(1ms);
                } else {
                    ++in_doubt_;
                    ++next;
                }
                tick = Clock::now();
            }
        }
    }

    UnifiedConnectionManager& manager_;
    std::string key_;
    AckLog log_;
    std::atomic<long> in_doubt_{0};
    std::atomic<long> retried_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// What clients did before ucm: write to the address a sentinel gave, and ask again only when a
/// write fails (an error reply such as READONLY, or a broken connection).
class NaiveWriter {
public:
    /// `follow_announcements`: also switch the moment any sentinel publishes `+switch-master`
    /// (the best a client can do without fencing), not only after an error.
    NaiveWriter(std::vector<Endpoint> sentinels, std::string name, std::string key, bool follow_announcements = false)
        : sentinels_(std::move(sentinels)), name_(std::move(name)), key_(std::move(key)) {
        if (follow_announcements) {
            for (const auto& s : sentinels_) {
                auto conn = std::make_unique<RawRedis>(s.host, s.port, 60s);
                conn->append({"SUBSCRIBE", "+switch-master"});
                (void)conn->read_one();  // the confirmation
                RawRedis* raw = conn.get();
                subscribers_.push_back(std::move(conn));
                listeners_.emplace_back([this, raw] { listen(*raw); });
            }
        }
        thread_ = std::thread([this] { run(); });
    }
    ~NaiveWriter() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        for (auto& c : subscribers_) c->shutdown();
        for (auto& t : listeners_) t.join();
        listeners_.clear();
    }
    std::vector<Ack> acks() const {
        std::lock_guard lock(mutex_);
        return acks_;
    }

private:
    std::optional<std::string> master_address() {
        for (const auto& s : sentinels_) {
            try {
                RawRedis sentinel(s.host, s.port, 500ms);
                auto r = sentinel.command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name_});
                if (r.elements.size() == 2) return r.elements[0].str + ":" + r.elements[1].str;
            } catch (const std::exception&) {
            }
        }
        return std::nullopt;
    }
    void run() {
        long next = 0;
        auto tick = Clock::now();
        while (!stop_) {
            const long seen = announcements_;  // before reading the address: none is missed
            std::optional<std::string> address;
            {
                std::lock_guard lock(mutex_);
                address = announced_;
                announced_.reset();
            }
            if (!address) address = master_address();
            if (!address) {
                std::this_thread::sleep_for(10ms);
                continue;
            }
            try {
                auto conn = RawRedis::at(*address, 500ms);
                while (!stop_ && announcements_ == seen) {
                    tick += kWriteInterval;
                    std::this_thread::sleep_until(tick);
                    const auto sent = Clock::now();
                    auto r = conn.command({"SADD", key_, std::to_string(next)});
                    if (r.is_error()) break;  // READONLY and the like: ask the sentinels again
                    std::lock_guard lock(mutex_);
                    acks_.push_back({next++, sent, Clock::now(), *address});
                }
            } catch (const std::exception&) {
                ++next;  // outcome unknown: never counted as acknowledged
            }
            tick = Clock::now();
        }
    }

    void listen(RawRedis& conn) {
        while (!stop_) {
            try {
                const auto message = conn.read_one();  // message, channel, payload
                // "<name> <old-ip> <old-port> <new-ip> <new-port>"
                if (message.elements.size() == 3 && message.elements[2].str.rfind(name_ + " ", 0) == 0) {
                    std::istringstream words(message.elements[2].str);
                    std::string name, old_ip, old_port, new_ip, new_port;
                    words >> name >> old_ip >> old_port >> new_ip >> new_port;
                    std::lock_guard lock(mutex_);
                    announced_ = new_ip + ":" + new_port;
                    ++announcements_;
                }
            } catch (const std::exception&) {
                return;
            }
        }
    }

    std::vector<Endpoint> sentinels_;
    std::string name_;
    std::string key_;
    mutable std::mutex mutex_;
    std::vector<Ack> acks_;
    std::atomic<bool> stop_{false};
    std::atomic<long> announcements_{0};
    std::optional<std::string> announced_;  // the newest +switch-master's address (under mutex_)
    std::vector<std::unique_ptr<RawRedis>> subscribers_;
    std::vector<std::thread> listeners_;
    std::thread thread_;
};

/// The test's own ear on every sentinel: when the first failover-progress event and the first
/// `+switch-master` were published (whichever sentinel said it first).
class FailoverClock {
public:
    explicit FailoverClock(const std::vector<Endpoint>& sentinels) {
        for (const auto& s : sentinels) {
            auto conn = std::make_unique<RawRedis>(s.host, s.port, 60s);
            conn->append({"PSUBSCRIBE", "+try-failover", "+elected-leader", "+failover-state-*", "+selected-slave",
                          "+switch-master", "-failover-abort-*"});
            (void)conn->read_one();  // the confirmation
            RawRedis* raw = conn.get();
            conns_.push_back(std::move(conn));
            threads_.emplace_back([this, raw] { listen(*raw); });
        }
    }
    ~FailoverClock() {
        stop_ = true;
        for (auto& c : conns_) c->shutdown();
        for (auto& t : threads_) t.join();
    }
    std::optional<Clock::time_point> first_event() const {
        std::lock_guard lock(mutex_);
        return first_event_;
    }
    std::optional<Clock::time_point> switched() const {
        std::lock_guard lock(mutex_);
        return switched_;
    }

private:
    void listen(RawRedis& conn) {
        while (!stop_) {
            try {
                const auto message = conn.read_one();  // pmessage, pattern, channel, payload
                const auto now = Clock::now();
                if (message.elements.size() != 4) continue;
                const std::string& channel = message.elements[2].str;
                std::lock_guard lock(mutex_);
                if (channel == "+switch-master") {
                    if (!switched_) switched_ = now;
                } else if (channel.rfind("-failover-abort", 0) != 0) {
                    if (!first_event_) first_event_ = now;
                }
            } catch (const std::exception&) {
                return;
            }
        }
    }

    mutable std::mutex mutex_;
    std::optional<Clock::time_point> first_event_;
    std::optional<Clock::time_point> switched_;
    std::atomic<bool> stop_{false};
    std::vector<std::unique_ptr<RawRedis>> conns_;
    std::vector<std::thread> threads_;
};

inline std::set<long> members(const std::string& address, const std::string& key) {
    std::set<long> out;
    for (const auto& m : RawRedis::at(address, 5s).command({"SMEMBERS", key}).elements) out.insert(std::stol(m.str));
    return out;
}

/// The acknowledged numbers missing from `present`.
inline std::vector<Ack> lost(const std::vector<Ack>& acks, const std::set<long>& present) {
    std::vector<Ack> out;
    for (const auto& a : acks) {
        if (!present.contains(a.value)) out.push_back(a);
    }
    return out;
}

/// The first acknowledgement by `endpoint` after `after`.
inline std::optional<Ack> first_ack_at(const std::vector<Ack>& acks, const std::string& endpoint, Clock::time_point after) {
    for (const auto& a : acks) {
        if (a.endpoint == endpoint && a.acked > after) return a;
    }
    return std::nullopt;
}

}  // namespace ucm::test
