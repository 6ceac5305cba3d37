#include "manager/leak_logger.hpp"

#include "core/log.hpp"

#include <chrono>

namespace ucm {
namespace {

class LeakLogger final : public pool::PoolObserver {
public:
    void on_leak_suspected(const pool::LeakReport& report) noexcept override {
        try {
            const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(report.held).count();
            log().warn("connection lease held for {} ms (pool slot {}), acquired at {}:{} in {}", held,
                       report.slot, report.acquired_at.file_name(), report.acquired_at.line(),
                       report.acquired_at.function_name());
        } catch (...) {
            // Logging must never break the pool's upkeep.
        }
    }
};

}  // namespace

pool::PoolObserver& leak_logger() {
    static auto* instance = new LeakLogger();  // intentionally leaked: outlives every pool
    return *instance;
}

}  // namespace ucm
