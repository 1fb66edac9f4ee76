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

// Bytes malloc has handed out (all arenas, plus mmapped blocks): the rehearsal's peak
// need is the difference across it. Under a sanitizer's allocator this reads glibc's
// idle arenas (near 0), so a measurement there says nothing.
std::size_t heap_in_use();
// Bytes malloc holds from the kernel (arenas plus mmapped blocks): when this grows on the
// act path, malloc went to the kernel for memory there (brk or mmap), which the reserve is
// meant to prevent.
std::size_t heap_from_kernel();

// The reserve for an act path whose rehearsal needed `rehearsal_bytes` at its peak:
// `floor_bytes`, or kReserveHeadroom times the rehearsal where that is more (a box with
// many processes has a larger table to scan at the kill than this one had at start); 0
// when `floor_bytes` is 0 (no reserve).
inline constexpr std::size_t kReserveHeadroom = 4;
std::size_t reserve_size(std::size_t floor_bytes, std::size_t rehearsal_bytes);

// Minor plus major page faults of the calling thread so far (getrusage RUSAGE_THREAD):
// the act path's count shows whether it needed the page allocator.
std::uint64_t thread_page_faults();

}  // namespace lifeline::memory
