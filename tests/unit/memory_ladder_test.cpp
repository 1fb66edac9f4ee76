// The memory guard's ladder: levels from readings, hysteresis, ETA, rate limits.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "memory/ladder.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint64_t kMiB = 1024 * 1024;

hal::MonoTime at_ms(std::int64_t ms) {
  return hal::MonoTime{} + milliseconds(ms);
}

// A box of 1000 MiB with `available` MiB free.
DomainReading box(std::uint64_t available_mib, std::optional<seconds> eta = std::nullopt) {
  return DomainReading{available_mib * kMiB, 1000 * kMiB, eta};
}

TEST(MemoryLadder, LevelsFollowTheThresholds) {
  Ladder ladder(LadderPolicy{});  // warn 15, relieve 10, kill 5, margin 3
  EXPECT_EQ(ladder.evaluate(at_ms(0), box(500), false).level, Level::normal);
  EXPECT_EQ(ladder.evaluate(at_ms(1), box(149), false).level, Level::warn);
  auto d = ladder.evaluate(at_ms(2), box(99), false);
  EXPECT_EQ(d.level, Level::relieve);
  EXPECT_EQ(d.relief, Relief::relieve);
  EXPECT_EQ(d.previous, Level::warn);
  EXPECT_TRUE(d.changed());
  EXPECT_NE(d.reason.find("9.9%"), std::string::npos) << d.reason;
}

TEST(MemoryLadder, AMemoryStallAboveWarnWarnsAndNeverRelieves) {
  Ladder ladder(LadderPolicy{});
  DomainReading stalled = box(500);  // 50 %: plenty available, but tasks stall on refaults
  stalled.stalled = true;
  const auto d = ladder.evaluate(at_ms(0), stalled, false);
  EXPECT_EQ(d.level, Level::warn);
  EXPECT_EQ(d.relief, Relief::none);
  EXPECT_TRUE(d.changed());
  EXPECT_NE(d.reason.find("memory stall (PSI)"), std::string::npos) << d.reason;
  // The stall's window passed but it is recent: the warning holds (one per episode).
  DomainReading recent = box(500);
  recent.stalled_recently = true;
  EXPECT_EQ(ladder.evaluate(at_ms(1500), recent, false).level, Level::warn);
  // No stall for the hold: back to normal.
  EXPECT_EQ(ladder.evaluate(at_ms(12000), box(500), false).level, Level::normal);
}

TEST(MemoryLadder, AMemoryStallBelowWarnRelieves) {
  Ladder ladder(LadderPolicy{});
  EXPECT_EQ(ladder.evaluate(at_ms(1000), box(140), false).level, Level::warn);  // 14 %, no ETA
  DomainReading stalled = box(140);
  stalled.stalled = true;
  const auto d = ladder.evaluate(at_ms(2000), stalled, false);
  EXPECT_EQ(d.level, Level::relieve);
  EXPECT_EQ(d.relief, Relief::relieve);
  EXPECT_NE(d.reason.find("memory stall (PSI)"), std::string::npos) << d.reason;
  // Only a recent stall (outside the trigger window) below warn: a warning, not a relief.
  Ladder fresh(LadderPolicy{});
  DomainReading recent = box(140);
  recent.stalled_recently = true;
  EXPECT_EQ(fresh.evaluate(at_ms(0), recent, false).relief, Relief::none);
}

TEST(MemoryLadder, ExactlyAtAThresholdIsNotBelowIt) {
  Ladder ladder(LadderPolicy{});
  EXPECT_EQ(ladder.evaluate(at_ms(0), box(150), false).level, Level::normal);
  EXPECT_EQ(ladder.evaluate(at_ms(1), box(100), false).level, Level::warn);
}

TEST(MemoryLadder, ImprovesOnlyPastTheMargin) {
  Ladder ladder(LadderPolicy{});
  ladder.evaluate(at_ms(0), box(90), false);  // relieve
  ladder.relief_taken(at_ms(0));
  // 11 % and 12.9 % are above relieve (10 %) but within its 3-point margin: stay.
  EXPECT_EQ(ladder.evaluate(at_ms(10), box(110), false).level, Level::relieve);
  EXPECT_EQ(ladder.evaluate(at_ms(20), box(129), false).level, Level::relieve);
  // 13 % clears relieve but not warn's margin (18 %): warn.
  EXPECT_EQ(ladder.evaluate(at_ms(30), box(130), false).level, Level::warn);
  EXPECT_EQ(ladder.evaluate(at_ms(40), box(179), false).level, Level::warn);
  EXPECT_EQ(ladder.evaluate(at_ms(50), box(180), false).level, Level::normal);
}

TEST(MemoryLadder, WorsensAtOnceEvenFromNormalToKill) {
  Ladder ladder(LadderPolicy{});
  auto d = ladder.evaluate(at_ms(0), box(40), false);
  EXPECT_EQ(d.level, Level::kill);
  EXPECT_EQ(d.relief, Relief::kill_now);
}

TEST(MemoryLadder, ASteepFallBelowWarnRelievesBeforeTheThreshold) {
  Ladder ladder(LadderPolicy{});  // eta_relieve 30 s
  EXPECT_EQ(ladder.evaluate(at_ms(0), box(140, seconds(60)), false).relief, Relief::none);
  auto d = ladder.evaluate(at_ms(1), box(140, seconds(20)), false);
  EXPECT_EQ(d.level, Level::relieve);
  EXPECT_EQ(d.relief, Relief::relieve);
  EXPECT_NE(d.reason.find("exhausted in about 20 s"), std::string::npos) << d.reason;
}

TEST(MemoryLadder, AnEtaAboveWarnIsOnlyAWarning) {
  // Plenty left: a fast but short-lived fall (a build, a cache fill) does not relieve.
  Ladder ladder(LadderPolicy{});
  EXPECT_EQ(ladder.evaluate(at_ms(0), box(600, seconds(5)), false).level, Level::normal);
}

TEST(MemoryLadder, RateLimitHoldsTheNextRelief) {
  LadderPolicy policy;
  policy.min_relief_interval = milliseconds(5000);
  Ladder ladder(policy);
  auto first = ladder.evaluate(at_ms(0), box(90), false);
  ASSERT_EQ(first.relief, Relief::relieve);
  ladder.relief_taken(at_ms(0));
  auto held = ladder.evaluate(at_ms(4999), box(90), false);
  EXPECT_EQ(held.relief, Relief::none);
  EXPECT_TRUE(held.held_by_rate_limit);
  EXPECT_EQ(ladder.evaluate(at_ms(5000), box(90), false).relief, Relief::relieve);
}

TEST(MemoryLadder, AReliefInProgressIsEscalatedOnlyAtTheKillLevel) {
  Ladder ladder(LadderPolicy{});
  EXPECT_EQ(ladder.evaluate(at_ms(0), box(90), true).relief, Relief::none);
  EXPECT_EQ(ladder.evaluate(at_ms(1), box(30), true).relief, Relief::escalate);
}

TEST(MemoryLadder, SpikeDoesNotCauseAKillStorm) {
  // Memory dips below relieve every 100 ms for 10 s: one relief per interval, no more.
  LadderPolicy policy;
  policy.min_relief_interval = milliseconds(5000);
  Ladder ladder(policy);
  int reliefs = 0;
  for (int t = 0; t < 10000; t += 100) {
    auto d = ladder.evaluate(at_ms(t), box(t % 200 == 0 ? 80 : 200), false);
    if (d.relief != Relief::none) {
      ++reliefs;
      ladder.relief_taken(at_ms(t));
    }
  }
  EXPECT_EQ(reliefs, 2);
}

TEST(MemoryLadder, KillLevelOffWhenZero) {
  LadderPolicy policy;
  policy.kill_percent = 0;
  Ladder ladder(policy);
  auto d = ladder.evaluate(at_ms(0), box(1), false);
  EXPECT_EQ(d.level, Level::relieve);
  EXPECT_EQ(d.relief, Relief::relieve);
}

TEST(MemoryLadder, ZeroTotalIsTreatedAsNothingAvailable) {
  Ladder ladder(LadderPolicy{});
  EXPECT_EQ(ladder.evaluate(at_ms(0), DomainReading{}, false).level, Level::kill);
}

}  // namespace
}  // namespace lifeline::memory
