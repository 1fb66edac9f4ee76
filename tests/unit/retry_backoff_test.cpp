// The back-off between failed attempts: by default (a memory watch's PSI registration, a
// unit's cgroup lookup) 1 s, 2 s, 4 s ... capped at 60 s, and back to 1 s after a reset;
// with the first and maximum waits of the exclusivity re-watch, the unit watcher's
// reconnect and the stop path's serial reopen. A fake clock: the caller's time points only.
#include <gtest/gtest.h>

#include <vector>

#include "util/retry_backoff.hpp"

namespace lifeline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const hal::MonoTime t0 = hal::MonoTime{} + seconds(1000);

// The waits of `count` failures in a row, each attempt made when it was due.
std::vector<milliseconds::rep> waits_of(RetryBackoff backoff, int count) {
  std::vector<milliseconds::rep> waits;
  hal::MonoTime now = t0;
  for (int i = 0; i < count; ++i) {
    backoff.failed(now);
    waits.push_back(backoff.wait().count());
    now = *backoff.next_attempt();
  }
  return waits;
}

TEST(RetryBackoff, DueAtOnceBeforeAnyFailure) {
  RetryBackoff backoff;
  EXPECT_TRUE(backoff.due(t0));
  EXPECT_FALSE(backoff.next_attempt().has_value());
  EXPECT_EQ(backoff.failures(), 0U);
}

TEST(RetryBackoff, WaitsDoubleFromOneSecondAndStopAtSixtySeconds) {
  EXPECT_EQ(
      waits_of(RetryBackoff(), 9),
      (std::vector<milliseconds::rep>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000}));
}

TEST(RetryBackoff, CountsTheFailuresSinceTheLastReset) {
  RetryBackoff backoff;
  for (int i = 0; i < 9; ++i) backoff.failed(t0 + seconds(i * 100));
  EXPECT_EQ(backoff.failures(), 9U);
}

TEST(RetryBackoff, NotDueUntilTheWaitHasPassed) {
  RetryBackoff backoff;
  backoff.failed(t0);
  EXPECT_FALSE(backoff.due(t0));
  EXPECT_FALSE(backoff.due(t0 + milliseconds(999)));
  EXPECT_TRUE(backoff.due(t0 + seconds(1)));
  backoff.failed(t0 + seconds(1));
  EXPECT_FALSE(backoff.due(t0 + milliseconds(2999)));
  EXPECT_TRUE(backoff.due(t0 + seconds(3)));
}

// A sample every 250 ms for two minutes against a registration that always fails: the
// attempts are the back-off's, not the samples' (480).
TEST(RetryBackoff, AttemptsPerSampledMinutesAreFew) {
  RetryBackoff backoff;
  int attempts = 0;
  for (hal::MonoTime now = t0; now < t0 + seconds(120); now += milliseconds(250)) {
    if (!backoff.due(now)) continue;
    ++attempts;
    backoff.failed(now);
  }
  // At 0, 1, 3, 7, 15, 31, 63 and 123 (not reached) seconds.
  EXPECT_EQ(attempts, 7);
}

TEST(RetryBackoff, ResetStartsOverAtTheFirstWait) {
  RetryBackoff backoff;
  for (int i = 0; i < 5; ++i) backoff.failed(t0 + seconds(i * 100));
  EXPECT_EQ(backoff.wait(), seconds(16));
  backoff.reset();
  EXPECT_TRUE(backoff.due(t0 + seconds(400)));
  EXPECT_EQ(backoff.failures(), 0U);
  backoff.failed(t0 + seconds(400));
  EXPECT_EQ(backoff.wait(), seconds(1));
}

TEST(RetryBackoff, AMaximumBelowTheFirstWaitIsTheFirstWait) {
  RetryBackoff backoff(seconds(5), seconds(2));
  backoff.failed(t0);
  backoff.failed(t0 + seconds(5));
  EXPECT_EQ(backoff.wait(), seconds(5));
}

// The users that arm a OneshotTimer with wait() keep the values they had written by hand.
TEST(RetryBackoff, ExclusivityRewatchIsOneSecondDoublingToThirtySeconds) {
  EXPECT_EQ(waits_of(RetryBackoff(seconds(1), seconds(30)), 7),
            (std::vector<milliseconds::rep>{1000, 2000, 4000, 8000, 16000, 30000, 30000}));
}

TEST(RetryBackoff, UnitWatcherRetryIsAQuarterSecondDoublingToEightSeconds) {
  EXPECT_EQ(waits_of(RetryBackoff(milliseconds(250), seconds(8)), 7),
            (std::vector<milliseconds::rep>{250, 500, 1000, 2000, 4000, 8000, 8000}));
}

TEST(RetryBackoff, SerialReconnectIsATenthOfASecondDoublingToFiveSeconds) {
  EXPECT_EQ(waits_of(RetryBackoff(milliseconds(100), seconds(5)), 8),
            (std::vector<milliseconds::rep>{100, 200, 400, 800, 1600, 3200, 5000, 5000}));
}

// The stop path's link loss: reset, then failed, is the first wait again whatever came
// before, and the next attempt is that far from the loss.
TEST(RetryBackoff, ResetThenFailedIsTheFirstWaitFromNow) {
  RetryBackoff backoff(milliseconds(100), seconds(5));
  for (int i = 0; i < 10; ++i) backoff.failed(t0);
  EXPECT_EQ(backoff.wait(), seconds(5));
  backoff.reset();
  backoff.failed(t0 + seconds(60));
  EXPECT_EQ(backoff.wait(), milliseconds(100));
  EXPECT_EQ(backoff.failures(), 1U);
  EXPECT_EQ(*backoff.next_attempt(), t0 + seconds(60) + milliseconds(100));
}

}  // namespace
}  // namespace lifeline
