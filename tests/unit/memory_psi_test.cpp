// /proc/pressure/memory and memory.pressure parsing; PSI trigger text and its limits.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "memory/psi.hpp"

namespace lifeline::memory {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(MemoryPsi, ParsesSomeAndFull) {
  auto psi = parse_psi(
      "some avg10=1.53 avg60=0.87 avg300=0.25 total=1234567\n"
      "full avg10=17.00 avg60=2.10 avg300=100.00 total=89\n");
  ASSERT_TRUE(psi.ok()) << psi.error().message;
  EXPECT_DOUBLE_EQ(psi->some.avg10, 1.53);
  EXPECT_DOUBLE_EQ(psi->some.avg60, 0.87);
  EXPECT_DOUBLE_EQ(psi->some.avg300, 0.25);
  EXPECT_EQ(psi->some.total_us, 1234567u);
  ASSERT_TRUE(psi->full.has_value());
  EXPECT_DOUBLE_EQ(psi->full->avg10, 17.0);
  EXPECT_DOUBLE_EQ(psi->full->avg300, 100.0);
  EXPECT_EQ(psi->full->total_us, 89u);
}

TEST(MemoryPsi, FullIsOptional) {
  auto psi = parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0");
  ASSERT_TRUE(psi.ok());
  EXPECT_FALSE(psi->full.has_value());
  EXPECT_EQ(psi->some.total_us, 0u);
}

TEST(MemoryPsi, RejectsMalformedText) {
  for (const char* bad : {
           "",
           "\n",
           "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",  // no some
           "some avg10=0.00 avg60=0.00 avg300=0.00\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=0 extra=1\n",
           "some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n",
           "some avg10=x avg60=0.00 avg300=0.00 total=0\n",
           "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n",
           "some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
           "some avg10=nan avg60=0.00 avg300=0.00 total=0\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=-5\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999999\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nhalf avg10=0.00\n",
       }) {
    auto psi = parse_psi(bad);
    EXPECT_FALSE(psi.ok()) << bad;
    if (!psi) {
      EXPECT_NE(psi.error().message.find("pressure"), std::string::npos);
    }
  }
}

TEST(MemoryPsi, FormatsTrigger) {
  auto some = format_psi_trigger(false, milliseconds(150), seconds(1));
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(*some, "some 150000 1000000");
  auto full = format_psi_trigger(true, milliseconds(500), milliseconds(500));
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, "full 500000 500000");
  EXPECT_TRUE(format_psi_trigger(true, microseconds(1), seconds(10)).ok());
}

TEST(MemoryPsi, TriggerLimitsFollowTheKernel) {
  EXPECT_FALSE(format_psi_trigger(false, milliseconds(100), milliseconds(499)).ok());
  EXPECT_FALSE(format_psi_trigger(false, milliseconds(100), microseconds(10'000'001)).ok());
  EXPECT_FALSE(format_psi_trigger(false, seconds(2), seconds(1)).ok());
  EXPECT_FALSE(format_psi_trigger(false, microseconds(0), seconds(1)).ok());
  EXPECT_FALSE(format_psi_trigger(false, microseconds(-5), seconds(1)).ok());
  auto error = format_psi_trigger(false, milliseconds(100), seconds(11));
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.error().message.find("500 ms..10 s"), std::string::npos);
}

}  // namespace
}  // namespace lifeline::memory
