#include "alloc/alloc_counter.hpp"

#include <atomic>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define LIFELINE_ALLOC_VIA_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIFELINE_ALLOC_VIA_SANITIZER 1
#endif
#endif

#ifdef LIFELINE_ALLOC_VIA_SANITIZER
// The sanitizer runtime's hook (sanitizer/allocator_interface.h, which GCC does not ship).
extern "C" int __sanitizer_install_malloc_and_free_hooks(  // NOLINT(bugprone-reserved-identifier)
    void (*malloc_hook)(const volatile void*, std::size_t),
    void (*free_hook)(const volatile void*));
extern "C" void __sanitizer_print_stack_trace();  // NOLINT(bugprone-reserved-identifier)
#endif

namespace lifeline::test {
namespace {

// Plain atomics: the hook runs inside malloc, so it must not allocate or lock.
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_count{0};
std::atomic<std::uint64_t> g_bytes{0};
std::atomic<std::size_t> g_first{0};
// LIFELINE_ALLOC_TRACE=N (sanitizer builds): print where the first N counted allocations
// came from, to find what a path that should not allocate still does.
std::uint64_t g_trace = 0;

void note(std::size_t size) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  const std::uint64_t before = g_count.fetch_add(1, std::memory_order_relaxed);
  if (before == 0) g_first.store(size, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
#ifdef LIFELINE_ALLOC_VIA_SANITIZER
  if (before < g_trace) __sanitizer_print_stack_trace();
#endif
}

#ifdef LIFELINE_ALLOC_VIA_SANITIZER
void on_malloc(const volatile void* /*ptr*/, std::size_t size) {
  note(size);
}
void on_free(const volatile void* /*ptr*/) {}
const bool g_hooked = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
#else
const bool g_hooked = true;
#endif

}  // namespace

AllocationCounter::AllocationCounter() {
  static const std::uint64_t trace = [] {
    const char* text = std::getenv("LIFELINE_ALLOC_TRACE");  // NOLINT(concurrency-mt-unsafe)
    return text == nullptr ? 0 : std::strtoull(text, nullptr, 10);
  }();
  g_trace = trace;
  g_count = 0;
  g_bytes = 0;
  g_first = 0;
  g_counting = true;
}

AllocationCounter::~AllocationCounter() {
  stop();
}

void AllocationCounter::stop() {
  g_counting = false;
}

std::uint64_t AllocationCounter::count() const {
  return g_count.load();
}
std::uint64_t AllocationCounter::bytes() const {
  return g_bytes.load();
}
std::size_t AllocationCounter::first_size() const {
  return g_first.load();
}

bool AllocationCounter::available() {
  return g_hooked;
}

#ifndef LIFELINE_ALLOC_VIA_SANITIZER
// A plain build: this executable's malloc family stands in front of glibc's.
extern "C" {
void* __libc_malloc(std::size_t size);                       // NOLINT(bugprone-reserved-identifier)
void* __libc_calloc(std::size_t count, std::size_t size);    // NOLINT(bugprone-reserved-identifier)
void* __libc_realloc(void* ptr, std::size_t size);           // NOLINT(bugprone-reserved-identifier)
void* __libc_memalign(std::size_t align, std::size_t size);  // NOLINT(bugprone-reserved-identifier)

void* malloc(std::size_t size) {
  note(size);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  note(count * size);
  return __libc_calloc(count, size);
}
void* realloc(void* ptr, std::size_t size) {
  note(size);
  return __libc_realloc(ptr, size);
}
void* aligned_alloc(std::size_t align, std::size_t size) {
  note(size);
  return __libc_memalign(align, size);
}
int posix_memalign(void** out, std::size_t align, std::size_t size) {
  note(size);
  void* p = __libc_memalign(align, size);
  if (p == nullptr) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void* memalign(std::size_t align, std::size_t size) {
  note(size);
  return __libc_memalign(align, size);
}
}
#endif

}  // namespace lifeline::test
