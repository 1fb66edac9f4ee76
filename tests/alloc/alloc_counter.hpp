// Counts heap allocations (malloc, calloc, realloc, the aligned ones and operator new,
// which calls malloc) made by any thread of this process while a counter is open. For the
// tests that prove a path allocates nothing: the memory guard's kill, the black box
// writer's kept records. Under AddressSanitizer (how ./dev test builds) it uses the
// sanitizer's malloc hook; in a plain build it stands in front of glibc's malloc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lifeline::test {

class AllocationCounter {
 public:
  AllocationCounter();  // starts counting
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

  void stop();  // stops counting; count() keeps the total
  [[nodiscard]] std::uint64_t count() const;
  [[nodiscard]] std::uint64_t bytes() const;
  // The size of the first allocation counted (0 when none): a clue to what allocated.
  [[nodiscard]] std::size_t first_size() const;

  // True when this build can count at all (the hook is in place).
  static bool available();
};

}  // namespace lifeline::test
