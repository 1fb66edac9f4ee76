#include "memory/trend.hpp"

#include <algorithm>
#include <cmath>

namespace lifeline::memory {

SampleRing::SampleRing(std::size_t capacity) : buffer_(std::max<std::size_t>(capacity, 2)) {}

void SampleRing::push(hal::MonoTime time, std::uint64_t bytes) {
  buffer_[next_] = Sample{time, bytes};
  next_ = (next_ + 1) % buffer_.size();
  if (size_ < buffer_.size()) ++size_;
}

void SampleRing::clear() {
  next_ = 0;
  size_ = 0;
}

const Sample& SampleRing::operator[](std::size_t i) const {
  const std::size_t oldest = (next_ + buffer_.size() - size_) % buffer_.size();
  return buffer_[(oldest + i) % buffer_.size()];
}

TrendEstimator::TrendEstimator(std::size_t capacity, TrendOptions options)
    : ring_(capacity), options_(options) {
  const std::size_t n = ring_.capacity();
  slopes_.resize(n * (n - 1) / 2);
}

Trend TrendEstimator::trend() {
  Trend out;
  out.samples = ring_.size();
  std::size_t count = 0;
  std::size_t rising = 0;
  for (std::size_t i = 0; i < ring_.size(); ++i) {
    for (std::size_t j = i + 1; j < ring_.size(); ++j) {
      const std::chrono::duration<double> dt = ring_[j].time - ring_[i].time;
      if (dt.count() <= 0) continue;  // same instant or clock misuse: no slope
      const double dy = static_cast<double>(ring_[j].bytes) - static_cast<double>(ring_[i].bytes);
      const double slope = dy / dt.count();
      slopes_[count++] = slope;
      if (slope > 0) ++rising;
    }
  }
  if (count == 0) return out;
  const auto begin = slopes_.begin();
  const auto mid = begin + static_cast<std::ptrdiff_t>(count / 2);
  std::nth_element(begin, mid, begin + static_cast<std::ptrdiff_t>(count));
  double median = *mid;
  if (count % 2 == 0) median = (median + *std::max_element(begin, mid)) / 2;
  out.bytes_per_second = median;
  const double share = static_cast<double>(rising) / static_cast<double>(count);
  out.sustained =
      out.samples >= options_.min_samples && median > 0 && share >= options_.sustained_share;
  return out;
}

std::optional<std::chrono::seconds> eta_to_exhaustion(double growth_bytes_per_s,
                                                      std::uint64_t mem_available_bytes) {
  if (!std::isfinite(growth_bytes_per_s) || growth_bytes_per_s <= 0) return std::nullopt;
  constexpr double kHorizon = 30.0 * 365 * 24 * 3600;
  const double seconds = static_cast<double>(mem_available_bytes) / growth_bytes_per_s;
  if (!(seconds <= kHorizon)) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(seconds));
}

std::optional<double> steady_recent_growth(const SampleRing& ring, std::size_t steps,
                                           std::chrono::milliseconds min_span) {
  if (steps == 0 || ring.size() < steps + 1) return std::nullopt;
  const std::size_t first = ring.size() - steps - 1;
  for (std::size_t i = first; i + 1 < ring.size(); ++i) {
    if (ring[i + 1].bytes <= ring[i].bytes) return std::nullopt;
  }
  const std::chrono::duration<double> span = ring[ring.size() - 1].time - ring[first].time;
  if (span < min_span || span.count() <= 0) return std::nullopt;
  return static_cast<double>(ring[ring.size() - 1].bytes - ring[first].bytes) / span.count();
}

LeakDetector::LeakDetector(LeakPolicy policy)
    : policy_(policy), estimator_(policy.window_samples, policy.trend) {}

LeakVerdict LeakDetector::update(hal::MonoTime now, std::uint64_t bytes,
                                 std::uint64_t mem_available_bytes) {
  estimator_.add(now, bytes);
  LeakVerdict verdict;
  verdict.trend = estimator_.trend();
  const double rate = verdict.trend.bytes_per_second;
  const bool above = verdict.trend.sustained && rate >= policy_.raise_bytes_per_s;
  if (above) {
    if (!above_since_) above_since_ = now;
  } else {
    above_since_.reset();
  }
  if (!leak_ && above_since_ && now - *above_since_ >= policy_.min_duration) {
    leak_ = true;
    verdict.raised = true;
  } else if (leak_ && rate < policy_.clear_bytes_per_s) {
    leak_ = false;
    verdict.cleared = true;
  }
  verdict.leak = leak_;
  if (verdict.trend.sustained) verdict.eta = eta_to_exhaustion(rate, mem_available_bytes);
  return verdict;
}

}  // namespace lifeline::memory
