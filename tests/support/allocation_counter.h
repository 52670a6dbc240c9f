// Counts heap allocations by replacing the global operator new/delete, so a
// test can check that a warm decoder allocates nothing per record.
// Include it in exactly one source of a test program, and only in programs
// named *_alloc_test.cc: the sanitizers replace operator new too, so
// tests/CMakeLists.txt leaves those programs out of sanitizer builds.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace eventlens::testing {
inline std::atomic<std::size_t> g_allocations{0};

// Returns how many times operator new ran in this program so far.
inline std::size_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace eventlens::testing

// GCC sees free() behind a delete of new'd memory and warns; here that is the
// point.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  eventlens::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
