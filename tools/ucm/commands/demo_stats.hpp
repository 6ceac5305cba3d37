#pragma once
// What `ucm demo`'s workload threads record: each operation's outcome and latency, per second of
// the run, and a tally of error codes with one example message each.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ucm::cli {

using Clock = std::chrono::steady_clock;


enum class Outcome : std::uint8_t { Ok, InDoubt, Failed };

struct WriteRecord {
    std::int64_t id = 0;
    Outcome outcome = Outcome::Ok;
    Clock::time_point end{};
};

struct Second {  // operations that completed within one second of the run
    std::vector<std::int64_t> write_ok_us, read_ok_us;
    std::uint64_t write_doubt = 0, write_failed = 0, read_failed = 0;
};

struct ErrorTally {
    std::uint64_t count = 0;
    std::string example{};
};

class Stats {
  public:
    explicit Stats(Clock::time_point t0) : t0_(t0) {}

    void write(Outcome outcome, Clock::duration latency) { add(true, outcome, latency); }
    void read(bool ok, Clock::duration latency) { add(false, ok ? Outcome::Ok : Outcome::Failed, latency); }

    void error(bool is_write, const std::string& code, const std::string& message) {
        const std::lock_guard lock(mutex_);
        auto& tally = (is_write ? write_errors_ : read_errors_)[code];
        if (tally.count++ == 0) tally.example = message;
    }

    Second take(std::size_t second) {
        const std::lock_guard lock(mutex_);
        if (second >= seconds_.size()) return {};
        return std::move(seconds_[second]);
    }

    std::size_t seconds_recorded() {
        const std::lock_guard lock(mutex_);
        return seconds_.size();
    }

    std::map<std::string, ErrorTally> write_errors() {
        const std::lock_guard lock(mutex_);
        return write_errors_;
    }
    std::map<std::string, ErrorTally> read_errors() {
        const std::lock_guard lock(mutex_);
        return read_errors_;
    }

  private:
    void add(bool is_write, Outcome outcome, Clock::duration latency) {
        const std::lock_guard lock(mutex_);
        // The second is taken under the lock, so once the printer holds the lock after the end of
        // second k, nothing more can land in second k.
        const auto second = static_cast<std::size_t>((Clock::now() - t0_) / std::chrono::seconds{1});
        if (seconds_.size() <= second) seconds_.resize(second + 1);
        Second& s = seconds_[second];
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
        if (is_write) {
            if (outcome == Outcome::Ok) s.write_ok_us.push_back(us);
            if (outcome == Outcome::InDoubt) ++s.write_doubt;
            if (outcome == Outcome::Failed) ++s.write_failed;
        } else {
            if (outcome == Outcome::Ok) s.read_ok_us.push_back(us);
            if (outcome == Outcome::Failed) ++s.read_failed;
        }
    }

    Clock::time_point t0_;
    std::mutex mutex_;
    std::vector<Second> seconds_;
    std::map<std::string, ErrorTally> write_errors_, read_errors_;
};

}  // namespace ucm::cli
