#include "memory/act_reserve.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>

#include "util/prefault.hpp"

namespace lifeline::memory {

std::size_t reserve_heap(std::size_t bytes) {
  if (bytes == 0) return 0;
  // Freed memory at the top of the heap is returned to the kernel once it exceeds the trim
  // threshold; above the reserve, it stays. Fixing the thresholds also stops glibc from
  // moving them itself after the first large free.
  const auto keep = static_cast<int>(std::min<std::size_t>(bytes * 2, 256U << 20));
  ::mallopt(M_TRIM_THRESHOLD, keep);
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  return util::warm_heap(bytes);
}

std::size_t heap_in_use() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::size_t heap_from_kernel() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.arena + info.hblkhd;
}

std::size_t reserve_size(std::size_t floor_bytes, std::size_t rehearsal_bytes) {
  if (floor_bytes == 0) return 0;  // no reserve asked for
  return std::max(floor_bytes, rehearsal_bytes * kReserveHeadroom);
}

std::uint64_t thread_page_faults() {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_minflt) + static_cast<std::uint64_t>(usage.ru_majflt);
}

}  // namespace lifeline::memory
