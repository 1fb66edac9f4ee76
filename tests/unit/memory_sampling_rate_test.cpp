// When the memory guard samples fast: margins, the sustained trend and the last step.
#include <gtest/gtest.h>

#include "memory/sampling_rate.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SamplingInputs at(double percent) {
  SamplingInputs in;
  in.available_percent = percent;  // warn 15 %, slow interval 2 s: the horizon is 8 s
  return in;
}

SamplingInputs after_step(double previous, double now, milliseconds step = milliseconds(2000)) {
  SamplingInputs in = at(now);
  in.previous_percent = previous;
  in.since_previous = step;
  return in;
}

TEST(MemorySamplingRate, PlentyAndStillIsSlowAndForcedIsFast) {
  EXPECT_FALSE(wants_fast_sampling(at(80)));
  SamplingInputs forced = at(80);
  forced.forced = true;
  EXPECT_TRUE(wants_fast_sampling(forced));
}

TEST(MemorySamplingRate, WithinTenPointsOfWarnIsFast) {
  EXPECT_FALSE(wants_fast_sampling(at(25)));
  EXPECT_TRUE(wants_fast_sampling(at(24.9)));
}

TEST(MemorySamplingRate, ASustainedTrendNearingWarnIsFast) {
  SamplingInputs in = at(60);
  in.eta = seconds(20);  // exhaustion in 20 s: warn (15 of 60 points) in 15 s: slow
  EXPECT_FALSE(wants_fast_sampling(in));
  in.eta = seconds(10);  // warn in 7.5 s: within four slow samples
  EXPECT_TRUE(wants_fast_sampling(in));
}

// The VM tier's hog: 88 % -> ~70 % in one 2 s step. The trend has two samples and no ETA,
// but at 9 points a second the warn level is 6 s away.
TEST(MemorySamplingRate, AFastFallInOneStepIsFastBeforeAnyTrend) {
  EXPECT_TRUE(wants_fast_sampling(after_step(88, 70)));
  EXPECT_FALSE(wants_fast_sampling(after_step(88, 86)))  // 1 point/s: warn is 71 s away
      << "a slow drift stays slow";
  EXPECT_FALSE(wants_fast_sampling(after_step(70, 88))) << "memory coming back stays slow";
}

TEST(MemorySamplingRate, AStepTooShortToExtrapolateIsIgnored) {
  EXPECT_FALSE(wants_fast_sampling(after_step(80, 79.5, milliseconds(20))));
  EXPECT_TRUE(wants_fast_sampling(after_step(80, 70, milliseconds(1000))));
}

}  // namespace
}  // namespace lifeline::memory
