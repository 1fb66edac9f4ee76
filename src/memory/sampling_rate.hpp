// How often the memory guard samples: slowly while memory is plentiful (idle costs
// nothing), fast once the margin shrinks or falls quickly. Pure: the service passes values.
#pragma once

#include <chrono>
#include <optional>

namespace lifeline::memory {

struct SamplingInputs {
  bool forced = false;  // a relief in progress, recent PSI pressure, a level above normal
  double available_percent = 100;  // the system's MemAvailable share now
  // How fast the share fell over the last step (points per second), when it fell over a
  // step long enough to extrapolate (steady_recent_growth of used memory over one step).
  std::optional<double> fall_percent_per_s;
  std::optional<std::chrono::seconds> eta;  // exhaustion, from the sustained trend
  double warn_percent = 15;
  std::chrono::milliseconds slow_interval{2000};
};

// Fast when forced, within 10 points of the warn level, or when the warn level is less than
// four slow samples away at the sustained trend's rate or at the last step's fall rate. The
// last step matters: the trend needs five samples (10 s at 2 s), while a hog of 75 MiB/s
// takes a 457 MiB box from 88 % to 10 % in 5 s (seen in the VM tier, where the guard went
// from normal straight to relieve in one slow step, tying with earlyoom).
bool wants_fast_sampling(const SamplingInputs& in);

}  // namespace lifeline::memory
