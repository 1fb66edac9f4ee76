// The pure judgements behind the heartbeat-file and event-loop monitors.
#include "health/health_checks.hpp"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

using std::chrono::milliseconds;

TEST(HealthChecks, MissingFileFails) {
  const CheckResult result = judge_file_age(std::nullopt, milliseconds(5000));
  EXPECT_FALSE(result.passing);
  EXPECT_EQ(result.detail, "file is missing");
}

TEST(HealthChecks, FileExactlyAtMaxAgeIsFresh) {
  const CheckResult result = judge_file_age(milliseconds(5000), milliseconds(5000));
  EXPECT_TRUE(result.passing);
  EXPECT_EQ(result.detail, "");
  EXPECT_TRUE(judge_file_age(milliseconds(0), milliseconds(5000)).passing);
}

TEST(HealthChecks, FileOneMillisecondPastMaxAgeFails) {
  const CheckResult result = judge_file_age(milliseconds(5001), milliseconds(5000));
  EXPECT_FALSE(result.passing);
  EXPECT_EQ(result.detail, "file is 5.0 s old (max 5.0 s)");
}

TEST(HealthChecks, OldFileDetailGivesAgeAndMaxInSeconds) {
  EXPECT_EQ(judge_file_age(milliseconds(7200), milliseconds(5000)).detail,
            "file is 7.2 s old (max 5.0 s)");
  EXPECT_EQ(judge_file_age(milliseconds(125'000), milliseconds(1500)).detail,
            "file is 125.0 s old (max 1.5 s)");
}

TEST(HealthChecks, FileFromTheFutureCountsAsFresh) {
  const CheckResult result = judge_file_age(milliseconds(-30'000), milliseconds(5000));
  EXPECT_TRUE(result.passing);
  EXPECT_EQ(result.detail, "");
}

TEST(HealthChecks, LoopOnTimeOrWithinDeadlinePasses) {
  for (const auto lateness : {milliseconds(-5), milliseconds(0), milliseconds(2000)}) {
    const CheckResult result = judge_loop_lateness(lateness, milliseconds(2000));
    EXPECT_TRUE(result.passing) << lateness.count();
    EXPECT_EQ(result.detail, "") << lateness.count();
  }
}

TEST(HealthChecks, LoopLatePastDeadlineFails) {
  const CheckResult result = judge_loop_lateness(milliseconds(2500), milliseconds(2000));
  EXPECT_FALSE(result.passing);
  EXPECT_EQ(result.detail, "event loop stalled: a tick ran 2.5 s late (deadline 2.0 s)");
  EXPECT_EQ(judge_loop_lateness(milliseconds(2001), milliseconds(2000)).detail,
            "event loop stalled: a tick ran 2.0 s late (deadline 2.0 s)");
}

}  // namespace
}  // namespace lifeline
