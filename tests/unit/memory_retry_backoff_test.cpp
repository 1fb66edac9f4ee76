// The back-off between failed attempts (a watch's PSI registration, a unit's cgroup
// lookup): 1 s, 2 s, 4 s ... capped at 60 s, and back to 1 s after a reset. A fake clock:
// the caller's time points only.
#include <gtest/gtest.h>

#include <vector>

#include "memory/retry_backoff.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const hal::MonoTime t0 = hal::MonoTime{} + seconds(1000);

TEST(MemoryRetryBackoff, DueAtOnceBeforeAnyFailure) {
  RetryBackoff backoff;
  EXPECT_TRUE(backoff.due(t0));
  EXPECT_FALSE(backoff.next_attempt().has_value());
  EXPECT_EQ(backoff.failures(), 0U);
}

TEST(MemoryRetryBackoff, WaitsDoubleFromOneSecondAndStopAtSixtySeconds) {
  RetryBackoff backoff;
  std::vector<seconds::rep> waits;
  hal::MonoTime now = t0;
  for (int i = 0; i < 9; ++i) {
    backoff.failed(now);
    waits.push_back(std::chrono::duration_cast<seconds>(backoff.wait()).count());
    now = *backoff.next_attempt();
  }
  EXPECT_EQ(waits, (std::vector<seconds::rep>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
  EXPECT_EQ(backoff.failures(), 9U);
}

TEST(MemoryRetryBackoff, NotDueUntilTheWaitHasPassed) {
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
TEST(MemoryRetryBackoff, AttemptsPerSampledMinutesAreFew) {
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

TEST(MemoryRetryBackoff, ResetStartsOverAtTheFirstWait) {
  RetryBackoff backoff;
  for (int i = 0; i < 5; ++i) backoff.failed(t0 + seconds(i * 100));
  EXPECT_EQ(backoff.wait(), seconds(16));
  backoff.reset();
  EXPECT_TRUE(backoff.due(t0 + seconds(400)));
  EXPECT_EQ(backoff.failures(), 0U);
  backoff.failed(t0 + seconds(400));
  EXPECT_EQ(backoff.wait(), seconds(1));
}

TEST(MemoryRetryBackoff, AMaximumBelowTheFirstWaitIsTheFirstWait) {
  RetryBackoff backoff(seconds(5), seconds(2));
  backoff.failed(t0);
  backoff.failed(t0 + seconds(5));
  EXPECT_EQ(backoff.wait(), seconds(5));
}

}  // namespace
}  // namespace lifeline::memory
