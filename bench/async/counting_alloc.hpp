#pragma once
// Counts what the process has allocated right now, linked into ucm_async_memory_bench only, at two
// levels:
//   - every global operator new/delete (all forms, aligned ones too) is replaced and counted;
//   - the C allocator (malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc,
//     pvalloc, free) is interposed and counted too, because Asio 1.22's asio::detail::aligned_new
//     (coroutine frames, handler memory) calls std::aligned_alloc, bypassing operator new, in every
//     translation unit that included <bits/c++config.h> before asio/detail/config.hpp (it tests
//     _GLIBCXX_HAVE_ALIGNED_ALLOC); libpq and hiredis use malloc as well.
// Sizes are malloc_usable_size() of each block (what the heap really holds, rounded up to glibc's
// 16-byte granule, without its 8-byte chunk header), counted on allocation and subtracted on free.
// While size counting is on, both levels also keep a net count per block size.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ucm::bench {

struct LiveHeap {
    std::int64_t bytes = 0;   ///< usable bytes of the blocks allocated and not yet freed
    std::int64_t blocks = 0;  ///< blocks allocated and not yet freed
};

/// Everything allocated through the C allocator (operator new included) right now, all threads.
LiveHeap live_heap() noexcept;
/// The part of live_heap() allocated through operator new.
LiveHeap live_cxx_new() noexcept;

/// Sizes up to this many bytes are counted one by one while size counting is on; larger ones together.
inline constexpr std::size_t kCountedSizes = 65'536;

/// Clears the per-size counts and starts (true) or stops (false) keeping them.
void count_sizes(bool on) noexcept;

struct SizeCount {
    std::size_t size = 0;  ///< usable bytes of the block (kCountedSizes: that size or larger)
    std::int64_t net = 0;  ///< allocated minus freed while counting was on
};
/// The sizes whose net count is at least `min_net`, largest total first: of every block, or
/// (`new_only`) of those allocated through operator new.
std::vector<SizeCount> sizes_left(std::int64_t min_net, bool new_only = false);

}  // namespace ucm::bench
