#include "memory/act_reserve.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace lifeline::memory {

namespace {

// Below glibc's default mmap threshold (128 KiB), so the blocks come from the arena (and
// return to it) rather than from mmap (which would give them back to the kernel on free).
constexpr std::size_t kBlock = 64 * 1024;

}  // namespace

std::size_t reserve_heap(std::size_t bytes) {
  if (bytes == 0) return 0;
  // Freed memory at the top of the heap is returned to the kernel once it exceeds the trim
  // threshold; above the reserve, it stays. Fixing the thresholds also stops glibc from
  // moving them itself after the first large free.
  const auto keep = static_cast<int>(std::min<std::size_t>(bytes * 2, 256U << 20));
  ::mallopt(M_TRIM_THRESHOLD, keep);
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  std::vector<void*> blocks;
  blocks.reserve(bytes / kBlock + 1);
  std::size_t reserved = 0;
  while (reserved < bytes) {
    void* block = std::malloc(kBlock);
    if (block == nullptr) break;
    std::memset(block, 0, kBlock);  // fault the pages in (and, with MCL_FUTURE, lock them)
    blocks.push_back(block);
    reserved += kBlock;
  }
  // Newest first: the top of the heap is freed last and coalesces into one free chunk.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
  return reserved;
}

std::uint64_t thread_page_faults() {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_minflt) + static_cast<std::uint64_t>(usage.ru_majflt);
}

}  // namespace lifeline::memory
