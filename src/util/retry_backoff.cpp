#include "util/retry_backoff.hpp"

#include <algorithm>

namespace lifeline {

void RetryBackoff::failed(hal::MonoTime now) noexcept {
  wait_ = failures_ == 0 ? first_ : std::min(wait_ * 2, max_);
  ++failures_;
  next_ = now + wait_;
}

void RetryBackoff::reset() noexcept {
  wait_ = Duration{0};
  failures_ = 0;
  next_.reset();
}

}  // namespace lifeline
