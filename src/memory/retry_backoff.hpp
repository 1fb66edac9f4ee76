// When to try again after a failed attempt (a watch's PSI trigger registration, a unit's
// cgroup lookup): the first retry after `first`, each later one after twice the last wait,
// never more than `max` apart. Pure: the caller passes the loop's time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "lifeline/hal/clock.hpp"

namespace lifeline::memory {

class RetryBackoff {
 public:
  using Duration = std::chrono::milliseconds;

  RetryBackoff() : RetryBackoff(std::chrono::seconds(1), std::chrono::seconds(60)) {}
  RetryBackoff(Duration first, Duration max) : first_(first), max_(max < first ? first : max) {}

  // Whether an attempt may be made at `now`: always before the first failure.
  [[nodiscard]] bool due(hal::MonoTime now) const { return !next_ || now >= *next_; }
  // An attempt made at `now` failed: the next one waits, twice as long as the last wait.
  void failed(hal::MonoTime now);
  // An attempt succeeded, or what was tried went away (a removed cgroup): the next failure
  // starts over at `first`.
  void reset();

  [[nodiscard]] std::uint32_t failures() const { return failures_; }
  // When the next attempt is due; nullopt when none failed since the last reset().
  [[nodiscard]] std::optional<hal::MonoTime> next_attempt() const { return next_; }
  // The wait after the last failure (0 before any).
  [[nodiscard]] Duration wait() const { return wait_; }

 private:
  Duration first_;
  Duration max_;
  Duration wait_{0};
  std::uint32_t failures_ = 0;
  std::optional<hal::MonoTime> next_;
};

}  // namespace lifeline::memory
