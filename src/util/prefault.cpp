#include "util/prefault.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace lifeline::util {

namespace {

// Below glibc's default mmap threshold (128 KiB), so the blocks come from the arena (and
// return to it) rather than from mmap (which would give them back to the kernel on free).
constexpr std::size_t kHeapBlock = std::size_t{64} * 1024;
constexpr std::size_t kStackChunk = std::size_t{16} * 1024;

// One chunk per frame, recursing: a frame's array is written a page at a time through a
// volatile pointer, so the compiler can neither drop the writes nor fold the frames.
[[gnu::noinline]] void touch_stack(std::size_t chunks, std::size_t page) {
  std::array<unsigned char, kStackChunk> chunk;
  volatile unsigned char* at = chunk.data();
  for (std::size_t i = 0; i < chunk.size(); i += page) at[i] = 0;
  if (chunks > 1) touch_stack(chunks - 1, page);
  // Keeps the call from being a tail call, whose frame would reuse this one.
  asm volatile("" : : "r"(at) : "memory");
}

}  // namespace

void prefault_stack(std::size_t bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t chunks = std::min(bytes, kMaxStackPrefault) / kStackChunk;
  if (chunks > 0) touch_stack(chunks, page);
}

std::size_t warm_heap(std::size_t bytes) {
  std::vector<void*> blocks;
  blocks.reserve(bytes / kHeapBlock + 1);
  std::size_t warmed = 0;
  while (warmed < bytes) {
    void* block = std::malloc(kHeapBlock);
    if (block == nullptr) break;
    std::memset(block, 0, kHeapBlock);
    blocks.push_back(block);
    warmed += kHeapBlock;
  }
  // Newest first: the top of the heap is freed last and coalesces into one free chunk.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
  return warmed;
}

}  // namespace lifeline::util
