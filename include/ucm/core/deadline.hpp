#pragma once

#include <chrono>

namespace ucm {

/// Every blocking operation in ucm ends at a deadline: a point on the steady clock.
using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

/// A deadline `timeout` from now.
inline Deadline deadline_after(SteadyClock::duration timeout) { return SteadyClock::now() + timeout; }

/// Time left until `deadline`, never negative.
inline SteadyClock::duration remaining(Deadline deadline, SteadyClock::time_point now = SteadyClock::now()) {
    return deadline > now ? deadline - now : SteadyClock::duration::zero();
}

}  // namespace ucm
