// The clock seam: deadlines use monotonic time, records use realtime. Decision code
// receives times as values; only the agent and actions ask a Clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace lifeline::hal {

using MonoTime = std::chrono::steady_clock::time_point;  // CLOCK_MONOTONIC in libstdc++
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual MonoTime now() const = 0;
  [[nodiscard]] virtual WallTime wall_now() const = 0;
};

// A wall time as microseconds since the Unix epoch (the black box's realtime_us): a plain
// read, no allocation, for stamps taken on the stop path.
[[nodiscard]] inline std::int64_t wall_us(const Clock& clock) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock.wall_now().time_since_epoch())
      .count();
}

// Reads the kernel clocks.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] MonoTime now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

// A clock tests move by hand.
class FakeClock final : public Clock {
 public:
  [[nodiscard]] MonoTime now() const override { return mono_; }
  [[nodiscard]] WallTime wall_now() const override { return wall_; }
  void advance(std::chrono::nanoseconds step) {
    mono_ += step;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(step);
  }

 private:
  MonoTime mono_{std::chrono::seconds(1000)};
  WallTime wall_{std::chrono::seconds(1'700'000'000)};
};

}  // namespace lifeline::hal
