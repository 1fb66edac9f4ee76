#include "motion/lease_policy.hpp"

namespace lifeline {

namespace {
constexpr std::uint64_t kNanoPerToken = 1'000'000'000;
}  // namespace

void LeaseState::renew(hal::MonoTime now, std::uint64_t seq) {
  if (last_seq_ && seq <= *last_seq_) ++seq_regressions_;
  last_renewal_ = now;
  last_seq_ = seq;
  ++renewals_;
}

bool LeaseState::expired(hal::MonoTime now) const {
  const auto limit = deadline();
  return !limit || now >= *limit;
}

std::optional<hal::MonoTime> LeaseState::deadline() const {
  if (!last_renewal_) return std::nullopt;
  return *last_renewal_ + timeout_;
}

std::optional<std::chrono::milliseconds> LeaseState::age(hal::MonoTime now) const {
  if (!last_renewal_) return std::nullopt;
  if (now <= *last_renewal_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - *last_renewal_);
}

RateLimiter::RateLimiter(std::uint32_t per_second, std::uint32_t burst)
    : per_second_(per_second),
      capacity_(static_cast<std::uint64_t>(burst == 0 ? per_second : burst) * kNanoPerToken),
      credit_(capacity_),
      // Rounded up, so elapsed * per_second below it stays under capacity + per_second:
      // no overflow however long the limiter sat idle.
      refill_full_(per_second == 0 ? 0 : (capacity_ + per_second - 1) / per_second) {}

bool RateLimiter::allow(hal::MonoTime now) {
  if (last_ && now > *last_ && per_second_ != 0) {
    const auto elapsed = static_cast<std::uint64_t>(std::chrono::nanoseconds(now - *last_).count());
    if (elapsed >= refill_full_) {
      credit_ = capacity_;
    } else {
      credit_ += elapsed * per_second_;
      if (credit_ > capacity_) credit_ = capacity_;
    }
  }
  // A clock that did not move (or, impossibly, went back) adds nothing.
  if (!last_ || now > *last_) last_ = now;
  if (credit_ < kNanoPerToken) return false;
  credit_ -= kNanoPerToken;
  return true;
}

}  // namespace lifeline
