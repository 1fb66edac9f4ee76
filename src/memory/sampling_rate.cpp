#include "memory/sampling_rate.hpp"

namespace lifeline::memory {

bool wants_fast_sampling(const SamplingInputs& in) {
  if (in.forced) return true;
  const double share = in.available_percent;
  const double warn = in.warn_percent;
  if (share < warn + 10) return true;
  const double horizon_s = 4 * std::chrono::duration<double>(in.slow_interval).count();
  if (in.eta) {
    const double to_warn_s = static_cast<double>(in.eta->count()) * (share - warn) / share;
    if (to_warn_s < horizon_s) return true;
  }
  // A step shorter than 100 ms (a PSI wake right after a timer sample) is too short to
  // extrapolate: a few pages of noise would look like a flood.
  if (in.previous_percent && in.since_previous >= std::chrono::milliseconds(100)) {
    const double fall_per_s =
        (*in.previous_percent - share) / std::chrono::duration<double>(in.since_previous).count();
    if (fall_per_s > 0 && (share - warn) / fall_per_s < horizon_s) return true;
  }
  return false;
}

}  // namespace lifeline::memory
