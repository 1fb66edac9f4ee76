// Keeps the memory guard's act path (wake, sample, victim, records, signal) off the page
// allocator. On a starved box a fresh page means direct reclaim, and a stall of seconds
// exactly when lifeline must act (incident 2026-02-08: the box froze for minutes). So the
// heap the act path allocates from is faulted in at start and kept: with mlockall's
// MCL_FUTURE those pages are locked too, and glibc is told not to give them back.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lifeline::memory {

// Faults in `bytes` of the calling thread's malloc arena and keeps it: blocks below the
// mmap threshold are allocated, written and freed, and trimming is raised above them so
// the arena keeps the pages for later allocations. Returns the bytes actually reserved
// (0 when bytes is 0 or the allocator refused).
std::size_t reserve_heap(std::size_t bytes);

// Minor plus major page faults of the calling thread so far (getrusage RUSAGE_THREAD):
// the act path's count shows whether it needed the page allocator.
std::uint64_t thread_page_faults();

}  // namespace lifeline::memory
