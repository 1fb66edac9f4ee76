// The act path's memory made resident ahead of need: the stack prefault and the reserve's
// size. Page faults are counted with getrusage(RUSAGE_THREAD) on a thread whose stack the
// test maps itself, so no page of it can have been touched before.
#include <pthread.h>
#include <sys/mman.h>

#include <array>
#include <cstdint>

#include <gtest/gtest.h>

#include "memory/act_reserve.hpp"
#include "util/prefault.hpp"

namespace lifeline {
namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kThreadStack = 1024 * kKiB;

// Uses 64 KiB of stack below its caller, a page at a time.
[[gnu::noinline]] void use_stack() {
  std::array<unsigned char, 64 * kKiB> buffer;
  volatile unsigned char* at = buffer.data();
  for (std::size_t i = 0; i < buffer.size(); i += 1024) at[i] = 1;
  asm volatile("" : : "r"(at) : "memory");
}

struct Faults {
  bool prefault = false;
  std::uint64_t by_prefault = 0;
  std::uint64_t by_use = 0;
};

void* measure(void* arg) {
  auto* faults = static_cast<Faults*>(arg);
  const std::uint64_t start = memory::thread_page_faults();
  if (faults->prefault) util::prefault_stack(128 * kKiB);
  const std::uint64_t prefaulted = memory::thread_page_faults();
  use_stack();
  faults->by_prefault = prefaulted - start;
  faults->by_use = memory::thread_page_faults() - prefaulted;
  return nullptr;
}

// Runs measure() on a thread with a freshly mapped stack.
Faults run_on_fresh_stack(bool prefault) {
  void* stack = ::mmap(nullptr, kThreadStack, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  EXPECT_NE(stack, MAP_FAILED);
  Faults faults;
  faults.prefault = prefault;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, kThreadStack);
  pthread_t thread{};
  EXPECT_EQ(pthread_create(&thread, &attr, measure, &faults), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  ::munmap(stack, kThreadStack);
  return faults;
}

TEST(Prefault, ADeeperCallAfterTheStackPrefaultTakesNoPageFault) {
  use_stack();  // its code mapped, so only stack pages can fault on the threads below
  const Faults cold = run_on_fresh_stack(false);
  const Faults warm = run_on_fresh_stack(true);
  // Without it, 64 KiB of fresh stack is 16 pages of 4 KiB (4 of 16 KiB): faulted on use.
  EXPECT_GE(cold.by_use, 4U);
  EXPECT_GE(warm.by_prefault, 4U);
  EXPECT_EQ(warm.by_use, 0U);
}

TEST(Prefault, WarmHeapReportsWhatItWarmed) {
  EXPECT_EQ(util::warm_heap(0), 0U);
  EXPECT_GE(util::warm_heap(256 * kKiB), 256 * kKiB);
}

TEST(ActReserve, SizeIsTheFloorOrFourTimesTheRehearsal) {
  EXPECT_EQ(memory::reserve_size(512 * kKiB, 31 * kKiB), 512 * kKiB);
  EXPECT_EQ(memory::reserve_size(512 * kKiB, 200 * kKiB), 800 * kKiB);
  // 0 asks for no reserve at all, whatever the rehearsal used.
  EXPECT_EQ(memory::reserve_size(0, 200 * kKiB), 0U);
}

}  // namespace
}  // namespace lifeline
