// [signals]: the buzzer reminder, the quiet switch and the daily quiet window.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace lifeline {
namespace {

TEST(ConfigSignals, DefaultsAndEveryKey) {
  auto defaults = test::parse("");
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->signals.buzzer_reminder, Seconds(0));
  EXPECT_FALSE(defaults->signals.quiet);
  EXPECT_EQ(defaults->signals.quiet_start_minute, -1);
  auto set = test::parse(
      "[signals]\nbuzzer_reminder_s = 60\nquiet = true\nquiet_start = \"22:30\"\nquiet_end = "
      "\"07:05\"\n");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->signals.buzzer_reminder, Seconds(60));
  EXPECT_TRUE(set->signals.quiet);
  EXPECT_EQ(set->signals.quiet_start_minute, 22 * 60 + 30);
  EXPECT_EQ(set->signals.quiet_end_minute, 7 * 60 + 5);
}

TEST(ConfigSignals, BadTimesAndAHalfWindowAreErrorsAtTheirKey) {
  const std::string what = R"(expected "HH:MM" (00:00 to 23:59), or "", found )";
  EXPECT_EQ(test::errors("[signals]\nquiet_start = \"24:00\"\nquiet_end = \"06:00\"\n"),
            test::kFile + ":2:15: [signals] quiet_start: " + what + "\"24:00\"");
  EXPECT_EQ(test::errors("[signals]\nquiet_start = \"7:00\"\nquiet_end = \"06:00\"\n"),
            test::kFile + ":2:15: [signals] quiet_start: " + what + "\"7:00\"");
  EXPECT_EQ(test::errors("[signals]\nquiet_start = \"22:00\"\n"),
            test::kFile +
                ":2:15: [signals] quiet_end: expected both quiet_start and quiet_end, or "
                "neither, found only quiet_start");
}

}  // namespace
}  // namespace lifeline
