// CLOCK_REALTIME in microseconds, for stamps taken where nothing may allocate or block
// (the motor stop path). The black box's records carry the same clock (realtime_us), so a
// stamp compares directly with a record's time and with a time taken in another process.
#pragma once

#include <ctime>

#include <cstdint>

namespace lifeline {

inline std::int64_t realtime_now_us() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);  // vDSO: no syscall, cannot fail for this clock
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace lifeline
