#pragma once
// Logs suspected leaks (a lease held past leak_threshold) with the site that acquired it. One
// process-wide instance: a lease may outlive its manager and still report through its pool.

#include <ucm/pool/pool_observer.hpp>

namespace ucm {

/// The process-wide observer the manager gives its pools; never destroyed.
pool::PoolObserver& leak_logger();

}  // namespace ucm
