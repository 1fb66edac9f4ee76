// Growth-rate estimation, time to exhaustion and the leak policy on synthetic series,
// including the 2025-11-28 session-leak incident's numbers.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>

#include "memory/trend.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::seconds;

hal::MonoTime at(std::int64_t s) {
  return hal::MonoTime{} + seconds(s);
}

TEST(MemoryTrend, RingKeepsTheNewestInOrder) {
  SampleRing ring(3);
  EXPECT_EQ(ring.capacity(), 3u);
  for (std::uint64_t i = 0; i < 5; ++i) ring.push(at(static_cast<std::int64_t>(i)), i * 10);
  ASSERT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring[0].bytes, 20u);
  EXPECT_EQ(ring[1].bytes, 30u);
  EXPECT_EQ(ring[2].bytes, 40u);
  ring.clear();
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(SampleRing(0).capacity(), 2u);
}

TEST(MemoryTrend, ConstantSeriesIsNotGrowing) {
  TrendEstimator estimator(30);
  for (int i = 0; i < 30; ++i) estimator.add(at(i * 10), 1'000'000'000);
  const Trend trend = estimator.trend();
  EXPECT_EQ(trend.samples, 30u);
  EXPECT_DOUBLE_EQ(trend.bytes_per_second, 0.0);
  EXPECT_FALSE(trend.sustained);
  EXPECT_FALSE(eta_to_exhaustion(trend.bytes_per_second, 1'000'000).has_value());
}

TEST(MemoryTrend, TooFewSamples) {
  TrendEstimator estimator(30);
  EXPECT_EQ(estimator.trend().samples, 0u);
  estimator.add(at(0), 5);
  EXPECT_DOUBLE_EQ(estimator.trend().bytes_per_second, 0.0);
  estimator.add(at(0), 50);  // same instant: no slope
  EXPECT_DOUBLE_EQ(estimator.trend().bytes_per_second, 0.0);
  estimator.add(at(10), 1005);
  EXPECT_GT(estimator.trend().bytes_per_second, 0.0);
  EXPECT_FALSE(estimator.trend().sustained);  // under min_samples
}

TEST(MemoryTrend, LinearLeakExactRateAndEta) {
  TrendEstimator estimator(30);
  for (int i = 0; i < 40; ++i) {
    estimator.add(at(i * 10), 500'000'000 + static_cast<std::uint64_t>(i) * 1'000'000);
  }
  const Trend trend = estimator.trend();
  EXPECT_EQ(trend.samples, 30u);
  EXPECT_DOUBLE_EQ(trend.bytes_per_second, 100'000.0);
  EXPECT_TRUE(trend.sustained);
  EXPECT_EQ(eta_to_exhaustion(trend.bytes_per_second, 1'000'000'000), seconds(10'000));
}

TEST(MemoryTrend, NoisyLinearWithinTenPercent) {
  std::mt19937 rng(20251128);
  std::normal_distribution<double> noise(0.0, 1'000'000.0);
  TrendEstimator estimator(30);
  for (int i = 0; i < 30; ++i) {
    const double bytes = 2e9 + 100'000.0 * i * 10 + noise(rng);
    estimator.add(at(i * 10), static_cast<std::uint64_t>(bytes));
  }
  // One wild outlier (a transient spike) barely moves a median of slopes.
  estimator.add(at(300), 2'000'000'000ULL + 30'000'000 + 900'000'000);
  const Trend trend = estimator.trend();
  EXPECT_NEAR(trend.bytes_per_second, 100'000.0, 10'000.0);
  EXPECT_TRUE(trend.sustained);
}

// GC-like: climbs 100 MB in a minute, drops back, again and again. No net growth.
std::uint64_t sawtooth(std::int64_t t) {
  return 1'000'000'000 + static_cast<std::uint64_t>(t % 60) * 100'000'000 / 60;
}

TEST(MemoryTrend, SawtoothIsNotASustainedLeak) {
  LeakDetector detector(LeakPolicy{});
  for (std::int64_t t = 0; t <= 3600; t += 10) {
    const LeakVerdict verdict = detector.update(at(t), sawtooth(t), 4'000'000'000);
    ASSERT_FALSE(verdict.leak) << "at " << t << " s";
    // The first tooth alone is indistinguishable from a leak; min_duration covers it.
    if (t >= 120) {
      EXPECT_FALSE(verdict.trend.sustained) << "at " << t << " s";
    }
  }
}

TEST(MemoryTrend, EtaEdges) {
  EXPECT_FALSE(eta_to_exhaustion(0.0, 100).has_value());
  EXPECT_FALSE(eta_to_exhaustion(-5.0, 100).has_value());
  EXPECT_FALSE(eta_to_exhaustion(std::nan(""), 100).has_value());
  EXPECT_FALSE(eta_to_exhaustion(INFINITY, 100).has_value());
  EXPECT_FALSE(eta_to_exhaustion(1e-12, UINT64_MAX).has_value());  // beyond any horizon
  EXPECT_EQ(eta_to_exhaustion(1000.0, 0), seconds(0));
  EXPECT_EQ(eta_to_exhaustion(3.0, 10), seconds(3));
}

TEST(MemoryTrend, ShortBurstIsNotALeak) {
  LeakDetector detector(LeakPolicy{});  // needs 120 s of sustained growth
  std::uint64_t bytes = 1'000'000'000;
  for (std::int64_t t = 0; t <= 1200; t += 10) {
    if (t >= 100 && t < 190) bytes += 10'000'000;  // 1 MB/s for 90 s
    ASSERT_FALSE(detector.update(at(t), bytes, 4'000'000'000).leak) << "at " << t << " s";
  }
}

TEST(MemoryTrend, HysteresisHoldsBetweenThresholdsAndClearsBelow) {
  LeakDetector detector(LeakPolicy{});  // raise at 256 KiB/s, clear below 64 KiB/s
  std::uint64_t bytes = 1'000'000'000;
  std::int64_t t = 0;
  bool raised = false;
  for (; t <= 600; t += 10, bytes += 10'000'000) {  // 1 MB/s
    raised = detector.update(at(t), bytes, 4'000'000'000).raised || raised;
  }
  EXPECT_TRUE(raised);
  ASSERT_TRUE(detector.leaking());
  for (; t <= 1800; t += 10, bytes += 1'300'000) {  // 130 kB/s: between the thresholds
    const LeakVerdict verdict = detector.update(at(t), bytes, 4'000'000'000);
    ASSERT_TRUE(verdict.leak) << "at " << t << " s";
  }
  bool cleared = false;
  for (; t <= 2400; t += 10)
    cleared = detector.update(at(t), bytes, 4'000'000'000).cleared || cleared;
  EXPECT_TRUE(cleared);
  EXPECT_FALSE(detector.leaking());
}

// 2025-11-28: the session leak grew one process from ~300 MB to ~5.6 GB in 51 minutes, on a
// 7.6 GiB box with no swap. Model: linear growth, MemAvailable running out at 51 min.
TEST(MemoryTrend, SessionLeakIncidentIsFlaggedWithinThreeMinutes) {
  constexpr double kStart = 300e6;
  constexpr double kEnd = 5.6e9;
  constexpr std::int64_t kCrash = 51 * 60;
  constexpr double kGrowth = (kEnd - kStart) / kCrash;  // ≈ 1.73 MB/s
  constexpr double kAvailableAtStart = kEnd - kStart;   // used up exactly at the crash
  ASSERT_LT(kAvailableAtStart + kStart, 7.6 * 1024 * 1024 * 1024);

  LeakDetector detector(LeakPolicy{});  // sampled every 10 s
  std::optional<std::int64_t> flagged_at;
  std::optional<seconds> eta_at_flag;
  for (std::int64_t t = 0; t < kCrash; t += 10) {
    const auto rss = static_cast<std::uint64_t>(kStart + kGrowth * static_cast<double>(t));
    const auto available =
        static_cast<std::uint64_t>(kAvailableAtStart - kGrowth * static_cast<double>(t));
    const LeakVerdict verdict = detector.update(at(t), rss, available);
    if (verdict.raised) {
      flagged_at = t;
      eta_at_flag = verdict.eta;
      break;
    }
  }
  ASSERT_TRUE(flagged_at.has_value());
  // Growth is sustained from the 5th sample (40 s) and must hold for 120 s: 160 s in,
  // with the process at ~580 MB, 48 minutes before the crash.
  EXPECT_EQ(*flagged_at, 160);
  ASSERT_TRUE(eta_at_flag.has_value());
  const double real_remaining = static_cast<double>(kCrash - *flagged_at);
  EXPECT_NEAR(static_cast<double>(eta_at_flag->count()), real_remaining, 0.01 * real_remaining);
  EXPECT_GT(*eta_at_flag, std::chrono::minutes(45));
}

// The VM tier's hog on an idle box: 25 idle samples 2 s apart, then MemAvailable falling
// 25 MiB per 250 ms sample (100 MiB/s). The long window does not call that sustained yet;
// the last three steps do.
TEST(MemoryTrend, ASuddenSteadyFallIsSeenBeforeTheLongWindowAgrees) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  TrendEstimator estimator(30);
  hal::MonoTime t{};
  for (int i = 0; i < 25; ++i) {
    t += std::chrono::seconds(2);
    estimator.add(t, 60 * kMiB + static_cast<std::uint64_t>(i % 2) * 4096);  // idle jitter
  }
  for (std::uint64_t step = 1; step <= 4; ++step) {
    t += std::chrono::milliseconds(250);
    estimator.add(t, 60 * kMiB + step * 25 * kMiB);
  }
  EXPECT_FALSE(estimator.trend().sustained) << "the long window is mostly idle samples";
  const auto growth = steady_recent_growth(estimator.samples(), 3, std::chrono::milliseconds(500));
  ASSERT_TRUE(growth.has_value());
  EXPECT_NEAR(*growth, 100.0 * kMiB, 1.0 * kMiB);
}

TEST(MemoryTrend, RecentGrowthNeedsEveryStepRisingAndEnoughSpan) {
  SampleRing ring(8);
  const auto ms = [](std::int64_t v) { return hal::MonoTime{} + std::chrono::milliseconds(v); };
  ring.push(ms(0), 100);
  ring.push(ms(250), 200);
  ring.push(ms(500), 300);
  EXPECT_FALSE(steady_recent_growth(ring, 3, std::chrono::milliseconds(500))) << "two steps";
  ring.push(ms(750), 400);
  EXPECT_TRUE(steady_recent_growth(ring, 3, std::chrono::milliseconds(500)));
  ring.push(ms(1000), 400);  // one flat step: a burst that stopped
  EXPECT_FALSE(steady_recent_growth(ring, 3, std::chrono::milliseconds(500)));
  SampleRing quick(8);  // three rising steps within 30 ms (PSI wakes): too short to trust
  for (std::int64_t i = 0; i < 4; ++i)
    quick.push(ms(i * 10), static_cast<std::uint64_t>(i + 1) * 100);
  EXPECT_FALSE(steady_recent_growth(quick, 3, std::chrono::milliseconds(500)));
  EXPECT_FALSE(steady_recent_growth(quick, 0, std::chrono::milliseconds(0)));
}

}  // namespace
}  // namespace lifeline::memory
