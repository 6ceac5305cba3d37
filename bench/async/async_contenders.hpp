#pragma once
// The contenders of bench/async: each builds its own manager, warms up, then returns the rate it
// measured (operations per second). They throw what ucm throws.

#include <ucm/pg/pipeline.hpp>

#include <chrono>
#include <cstddef>

namespace ucm::bench {

/// Untimed run before each measurement: statements prepared, connections and caches warm.
inline constexpr std::chrono::duration<double> kWarmUp{0.5};

/// `SELECT 1` statements/s on one connection, one coroutine: depth 1 = sequential
/// async_execute, otherwise async_execute_pipeline batches of `depth` in `mode`.
double pg_async_rate(std::size_t depth, pg::PipelineMode mode, std::chrono::duration<double> seconds);
/// `SELECT 1` statements/s through the blocking execute() on one held lease.
double pg_blocking_rate(std::chrono::duration<double> seconds);

/// GETs/s from `clients` coroutines, each with its own lease, on one io_context thread.
double redis_async_get_rate(std::size_t clients, std::chrono::duration<double> seconds);
/// GETs/s from one coroutine sending async_pipeline batches of `depth` GETs on one lease.
double redis_async_pipelined_get_rate(std::size_t depth, std::chrono::duration<double> seconds);

}  // namespace ucm::bench
