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
  if (in.fall_percent_per_s && *in.fall_percent_per_s > 0 &&
      (share - warn) / *in.fall_percent_per_s < horizon_s) {
    return true;
  }
  return false;
}

}  // namespace lifeline::memory
