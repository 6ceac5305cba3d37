// See counting_alloc.hpp. The C allocator is interposed by defining its functions here and
// forwarding to glibc's own entry points (__libc_malloc & co.), which glibc supports; operator
// new/delete forward to the (counted) C allocator and count their own share on top.
#include "counting_alloc.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <malloc.h>
#include <new>

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t align, std::size_t size);
void* __libc_valloc(std::size_t size);
void* __libc_pvalloc(std::size_t size);
void __libc_free(void* p);
}

namespace ucm::bench {
namespace {

struct Counters {
    std::atomic<std::int64_t> bytes{0};
    std::atomic<std::int64_t> blocks{0};
};
Counters g_heap;
Counters g_cxx;
std::atomic<bool> g_counting_sizes{false};
std::array<std::atomic<std::int64_t>, kCountedSizes + 1> g_sizes{};
std::array<std::atomic<std::int64_t>, kCountedSizes + 1> g_cxx_sizes{};  // the operator new share

void count_size(std::array<std::atomic<std::int64_t>, kCountedSizes + 1>& sizes, std::size_t size,
                std::int64_t sign) noexcept {
    if (g_counting_sizes.load(std::memory_order_relaxed)) {
        sizes[std::min(size, kCountedSizes)].fetch_add(sign, std::memory_order_relaxed);
    }
}

std::size_t usable(void* p) noexcept { return p != nullptr ? malloc_usable_size(p) : 0; }

void note(Counters& c, std::size_t size, std::int64_t sign) noexcept {
    c.bytes.fetch_add(sign * static_cast<std::int64_t>(size), std::memory_order_relaxed);
    c.blocks.fetch_add(sign, std::memory_order_relaxed);
}

void* heap_added(void* p) noexcept {
    if (p == nullptr) return p;
    const std::size_t size = usable(p);
    note(g_heap, size, +1);
    count_size(g_sizes, size, +1);
    return p;
}

void heap_removed(void* p) noexcept {
    if (p == nullptr) return;
    const std::size_t size = usable(p);
    note(g_heap, size, -1);
    count_size(g_sizes, size, -1);
}

LiveHeap read(const Counters& c) noexcept {
    return {.bytes = c.bytes.load(std::memory_order_relaxed),
            .blocks = c.blocks.load(std::memory_order_relaxed)};
}

}  // namespace

LiveHeap live_heap() noexcept { return read(g_heap); }
LiveHeap live_cxx_new() noexcept { return read(g_cxx); }

void count_sizes(bool on) noexcept {
    if (on) {
        for (auto& c : g_sizes) c.store(0, std::memory_order_relaxed);
        for (auto& c : g_cxx_sizes) c.store(0, std::memory_order_relaxed);
    }
    g_counting_sizes.store(on, std::memory_order_relaxed);
}

std::vector<SizeCount> sizes_left(std::int64_t min_net, bool new_only) {
    const auto& sizes = new_only ? g_cxx_sizes : g_sizes;
    std::vector<SizeCount> out;
    for (std::size_t s = 0; s <= kCountedSizes; ++s) {
        const std::int64_t net = sizes[s].load(std::memory_order_relaxed);
        if (net >= min_net) out.push_back({.size = s, .net = net});
    }
    std::sort(out.begin(), out.end(), [](const SizeCount& a, const SizeCount& b) {
        return static_cast<std::int64_t>(a.size) * a.net > static_cast<std::int64_t>(b.size) * b.net;
    });
    return out;
}

namespace {

void* cxx_new(std::size_t size, std::size_t align) noexcept {
    void* p = align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__
                  ? std::malloc(size == 0 ? 1 : size)
                  : aligned_alloc(align, (size + align - 1) / align * align);
    if (p != nullptr) {
        note(g_cxx, usable(p), +1);
        count_size(g_cxx_sizes, usable(p), +1);
    }
    return p;
}

void* cxx_new_or_throw(std::size_t size, std::size_t align) {
    void* p = cxx_new(size, align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void cxx_delete(void* p) noexcept {
    if (p == nullptr) return;
    note(g_cxx, usable(p), -1);
    count_size(g_cxx_sizes, usable(p), -1);
    std::free(p);
}

}  // namespace
}  // namespace ucm::bench

// The C allocator: glibc allows replacing these together (malloc_usable_size stays glibc's).
extern "C" {
void* malloc(std::size_t size) noexcept { return ucm::bench::heap_added(__libc_malloc(size)); }
void* calloc(std::size_t n, std::size_t size) noexcept {
    return ucm::bench::heap_added(__libc_calloc(n, size));
}
void* realloc(void* p, std::size_t size) noexcept {
    const std::size_t before = ucm::bench::usable(p);
    void* q = __libc_realloc(p, size);
    if (q == nullptr && size != 0) return nullptr;  // p is untouched
    if (p != nullptr) {  // counted as a free of the old block and an allocation of the new one
        ucm::bench::note(ucm::bench::g_heap, before, -1);
        if (ucm::bench::g_counting_sizes.load(std::memory_order_relaxed)) {
            ucm::bench::g_sizes[std::min(before, ucm::bench::kCountedSizes)].fetch_sub(
                1, std::memory_order_relaxed);
        }
    }
    return ucm::bench::heap_added(q);
}
void* memalign(std::size_t align, std::size_t size) noexcept {
    return ucm::bench::heap_added(__libc_memalign(align, size));
}
void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    return ucm::bench::heap_added(__libc_memalign(align, size));
}
int posix_memalign(void** out, std::size_t align, std::size_t size) noexcept {
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
    void* p = ucm::bench::heap_added(__libc_memalign(align, size));
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t size) noexcept { return ucm::bench::heap_added(__libc_valloc(size)); }
void* pvalloc(std::size_t size) noexcept { return ucm::bench::heap_added(__libc_pvalloc(size)); }
void free(void* p) noexcept {
    ucm::bench::heap_removed(p);
    __libc_free(p);
}
}

using ucm::bench::cxx_delete;
using ucm::bench::cxx_new;
using ucm::bench::cxx_new_or_throw;

void* operator new(std::size_t size) { return cxx_new_or_throw(size, 0); }
void* operator new[](std::size_t size) { return cxx_new_or_throw(size, 0); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return cxx_new(size, 0); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return cxx_new(size, 0); }
void* operator new(std::size_t size, std::align_val_t align) {
    return cxx_new_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
    return cxx_new_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    return cxx_new(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    return cxx_new(size, static_cast<std::size_t>(align));
}

void operator delete(void* p) noexcept { cxx_delete(p); }
void operator delete[](void* p) noexcept { cxx_delete(p); }
void operator delete(void* p, std::size_t) noexcept { cxx_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { cxx_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { cxx_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { cxx_delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { cxx_delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { cxx_delete(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { cxx_delete(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { cxx_delete(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { cxx_delete(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { cxx_delete(p); }
