// When the memory guard samples fast: margins, the sustained trend and the last step.
#include <gtest/gtest.h>

#include <cstdint>

#include "memory/sampling_rate.hpp"
#include "memory/trend.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SamplingInputs at(double percent) {
  SamplingInputs in;
  in.available_percent = percent;  // warn 15 %, slow interval 2 s: the horizon is 8 s
  return in;
}

// What the service passes after a step from `previous` to `now` percent: the fall rate,
// or none when memory did not fall (steady_recent_growth gives none for a step that did
// not rise in used memory).
SamplingInputs after_step(double previous, double now, milliseconds step = milliseconds(2000)) {
  SamplingInputs in = at(now);
  if (previous > now) {
    in.fall_percent_per_s = (previous - now) / std::chrono::duration<double>(step).count();
  }
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

// The service reads the last step through steady_recent_growth with a 100 ms minimum
// span: a 20 ms step (a PSI wake right after a timer sample) gives no rate at all.
TEST(MemorySamplingRate, AStepTooShortToExtrapolateIsIgnored) {
  const auto ms = [](std::int64_t v) { return hal::MonoTime{} + milliseconds(v); };
  SampleRing quick(4);
  quick.push(ms(0), 800);
  quick.push(ms(20), 805);
  EXPECT_FALSE(steady_recent_growth(quick, 1, milliseconds(100)));
  SampleRing slow(4);
  slow.push(ms(0), 300);
  slow.push(ms(1000), 400);  // used memory 300 -> 400 of 1000: a fall of 10 points in 1 s
  const auto growth = steady_recent_growth(slow, 1, milliseconds(100));
  ASSERT_TRUE(growth);
  SamplingInputs in = at(70);
  in.fall_percent_per_s = *growth * 100.0 / 1000.0;
  EXPECT_TRUE(wants_fast_sampling(in));
}

}  // namespace
}  // namespace lifeline::memory
