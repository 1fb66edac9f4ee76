// Faults memory in ahead of need, so the code that must not wait (the loop's kill and stop
// paths, the black-box writer a kill waits for) finds its pages resident. With mlockall's
// MCL_FUTURE|MCL_ONFAULT a page is locked when first touched, and a first touch on a
// starved box means direct reclaim: a stall of seconds exactly when lifeline must act.
#pragma once

#include <cstddef>

namespace lifeline::util {

// Touches the calling thread's stack `bytes` below the current frame (at most
// kMaxStackPrefault, in 16 KiB steps), so deeper calls made later use pages already there. The VM
// tier and the memory benchmark saw a kill reach one stack page deeper than anything before it.
inline constexpr std::size_t kMaxStackPrefault = std::size_t{256} * 1024;
void prefault_stack(std::size_t bytes);

// Allocates, writes and frees `bytes` of the calling thread's malloc arena in blocks
// below the mmap threshold, so that arena holds that much already-faulted free memory.
// It stays faulted while the trim threshold is above it (glibc's default: 128 KiB).
// Returns the bytes warmed (less than asked only when malloc refused).
std::size_t warm_heap(std::size_t bytes);

}  // namespace lifeline::util
