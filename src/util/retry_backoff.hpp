// When to try again after a failed attempt: the first retry after `first`, each later one
// after twice the last wait, never more than `max` apart. Pure: the caller passes the
// loop's time. Its users: the memory guard's PSI trigger registrations and unit cgroup
// lookups (1 s to 60 s, polled with due()), the exclusivity re-watch of systemd's signals
// (1 s to 30 s), the unit watcher's bus reconnect (0.25 s to 8 s) and the stop path's
// serial reconnect (0.1 s to 5 s); the last three arm a OneshotTimer with wait().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "lifeline/hal/clock.hpp"

namespace lifeline {

class RetryBackoff {
 public:
  using Duration = std::chrono::milliseconds;

  RetryBackoff() : RetryBackoff(std::chrono::seconds(1), std::chrono::seconds(60)) {}
  RetryBackoff(Duration first, Duration max) : first_(first), max_(max < first ? first : max) {}

  // Whether an attempt may be made at `now`: always before the first failure.
  [[nodiscard]] bool due(hal::MonoTime now) const { return !next_ || now >= *next_; }
  // An attempt made at `now` failed: the next one waits, twice as long as the last wait.
  // noexcept and allocation-free (the stop path calls it).
  void failed(hal::MonoTime now) noexcept;
  // An attempt succeeded, or what was tried went away (a removed cgroup, a lost link):
  // the next failure starts over at `first`.
  void reset() noexcept;

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

}  // namespace lifeline
