// The lease's decisions, without I/O: when it expires and whether to take a datagram at
// all. Times are values passed in, so tests drive them with hal::FakeClock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "lifeline/hal/clock.hpp"

namespace lifeline {

// One lease. It starts "never renewed", which counts as expired: after lifeline starts,
// no motion until the app has proved itself with a first beat. A renewal at time t makes
// the lease valid up to, but not including, t + timeout: at the deadline itself it has
// expired, which is also the instant the monitor's timer fires.
class LeaseState {
 public:
  explicit LeaseState(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  // Every valid beat renews, even one whose seq went backwards: a restarted app counts
  // from 1 again and must be able to take the lease back. Regressions are only counted,
  // as the trace of a restart or of two processes sharing one lease name.
  void renew(hal::MonoTime now, std::uint64_t seq);

  [[nodiscard]] bool ever_renewed() const { return last_renewal_.has_value(); }
  [[nodiscard]] bool expired(hal::MonoTime now) const;
  // last renewal + timeout; nullopt while never renewed.
  [[nodiscard]] std::optional<hal::MonoTime> deadline() const;
  [[nodiscard]] std::optional<hal::MonoTime> last_renewal() const { return last_renewal_; }
  // Time since the last renewal (floored to ms, never negative); nullopt while never renewed.
  [[nodiscard]] std::optional<std::chrono::milliseconds> age(hal::MonoTime now) const;
  [[nodiscard]] std::optional<std::uint64_t> last_seq() const { return last_seq_; }
  [[nodiscard]] std::chrono::milliseconds timeout() const { return timeout_; }
  [[nodiscard]] std::uint64_t renewals() const { return renewals_; }
  // Renewals whose seq was not greater than the previous one.
  [[nodiscard]] std::uint64_t seq_regressions() const { return seq_regressions_; }

 private:
  std::chrono::milliseconds timeout_;
  std::optional<hal::MonoTime> last_renewal_;
  std::optional<std::uint64_t> last_seq_;
  std::uint64_t renewals_ = 0;
  std::uint64_t seq_regressions_ = 0;
};

// A token bucket: on average `per_second` events a second, up to `burst` at once (0 means
// one second's worth). It starts full. Integer arithmetic in nano-tokens, so it is exact
// under a fake clock and cannot drift; per_second 0 allows nothing at all. Used to bound
// the work one sender can make the loop do, which also runs the watchdog.
class RateLimiter {
 public:
  explicit RateLimiter(std::uint32_t per_second, std::uint32_t burst = 0);
  // True when an event at `now` is within the rate (and uses up one token).
  bool allow(hal::MonoTime now);
  [[nodiscard]] std::uint32_t per_second() const { return per_second_; }

 private:
  std::uint32_t per_second_;
  std::uint64_t capacity_;     // nano-tokens
  std::uint64_t credit_;       // nano-tokens
  std::uint64_t refill_full_;  // ns after which an empty bucket is full again
  std::optional<hal::MonoTime> last_;
};

}  // namespace lifeline
