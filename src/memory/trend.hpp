// Growth rate of a memory series, time to exhaustion, and a leak policy with hysteresis.
// Pure decision code: the caller samples memory and passes times as values. Not wired into
// the agent yet (see docs/memory-guard.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "lifeline/hal/clock.hpp"

namespace lifeline::memory {

struct Sample {
  hal::MonoTime time;
  std::uint64_t bytes = 0;
};

// The last `capacity` samples, oldest first. Allocates only in the constructor.
class SampleRing {
 public:
  explicit SampleRing(std::size_t capacity);  // at least 2
  void push(hal::MonoTime time, std::uint64_t bytes);
  void clear();
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return buffer_.size(); }
  [[nodiscard]] const Sample& operator[](std::size_t i) const;  // 0 is the oldest

 private:
  std::vector<Sample> buffer_;
  std::size_t next_ = 0;  // where the next sample goes
  std::size_t size_ = 0;
};

struct Trend {
  double bytes_per_second = 0;  // Theil–Sen estimate; 0 with fewer than 2 usable samples
  std::size_t samples = 0;
  bool sustained = false;  // growing, and most pairs of samples agree that it is
};

struct TrendOptions {
  std::size_t min_samples = 5;    // fewer: never sustained
  double sustained_share = 0.75;  // share of rising sample pairs needed for "sustained"
};

// Theil–Sen estimator: the median of the slopes between every pair of samples in the window.
// Chosen over least squares because one outlier (a transient spike, a dropped cache) cannot
// move a median of pairwise slopes much, while it pulls a least-squares line by its square;
// the breakdown point is about 29 %. O(n^2) in the window size, fine for tens of samples.
// The share of rising pairs (Kendall-style) says whether growth is steady or a sawtooth.
class TrendEstimator {
 public:
  explicit TrendEstimator(std::size_t capacity, TrendOptions options = {});
  void add(hal::MonoTime time, std::uint64_t bytes) { ring_.push(time, bytes); }
  void clear() { ring_.clear(); }
  // Non-const: sorts a scratch buffer allocated by the constructor.
  Trend trend();
  [[nodiscard]] const SampleRing& samples() const { return ring_; }

 private:
  SampleRing ring_;
  TrendOptions options_;
  std::vector<double> slopes_;
};

// How long until `mem_available_bytes` is used up at `growth_bytes_per_s`; nullopt when not
// growing, or when the answer is beyond any horizon that matters (over 30 years).
std::optional<std::chrono::seconds> eta_to_exhaustion(double growth_bytes_per_s,
                                                      std::uint64_t mem_available_bytes);

// The growth over the newest `steps` steps of `ring` when every one of those steps rose and
// they span at least `min_span`; nullopt otherwise. A hog that starts on an idle box makes
// MemAvailable fall steadily at once, but the long window's Theil-Sen trend, full of idle
// samples, calls that sustained only after most of its pairs rise (about 6 s of 250 ms
// samples): the guard would wait for the relieve level although the ETA is a second or two.
std::optional<double> steady_recent_growth(const SampleRing& ring, std::size_t steps,
                                           std::chrono::milliseconds min_span);

struct LeakPolicy {
  double raise_bytes_per_s = 256.0 * 1024;  // sustained growth at or above this counts
  double clear_bytes_per_s = 64.0 * 1024;   // a raised leak clears only below this
  std::chrono::seconds min_duration{120};   // counts only after this long without a break
  std::size_t window_samples = 30;
  TrendOptions trend;
};

struct LeakVerdict {
  bool leak = false;     // the current state
  bool raised = false;   // this update raised it
  bool cleared = false;  // this update cleared it
  Trend trend;
  std::optional<std::chrono::seconds> eta;  // when growing steadily
};

// Raises "leak" once the trend has been sustained at or above raise_bytes_per_s for
// min_duration; clears it when the rate falls below clear_bytes_per_s (hysteresis, so a
// rate hovering at the threshold does not flap).
class LeakDetector {
 public:
  explicit LeakDetector(LeakPolicy policy);
  LeakVerdict update(hal::MonoTime now, std::uint64_t bytes, std::uint64_t mem_available_bytes);
  [[nodiscard]] bool leaking() const { return leak_; }

 private:
  LeakPolicy policy_;
  TrendEstimator estimator_;
  std::optional<hal::MonoTime> above_since_;
  bool leak_ = false;
};

}  // namespace lifeline::memory
