#include "fault/kept_event.hpp"

#include <gtest/gtest.h>

#include <string>

#include "alloc/alloc_counter.hpp"

namespace lifeline {
namespace {

TEST(KeptEvent, BecomesTheSameEventItWasFilledWith) {
  KeptEvent kept(EventKind::memory_relief, Fault::memory_relief, Severity::error);
  kept.message() << "killing " << 4242 << " (hog)";
  kept.field("pid") << 4242;
  kept.field("comm", "hog");
  kept.field("rss_kb") << std::uint64_t{812} << " KiB";
  const Event event = kept.to_event();
  EXPECT_EQ(event, (Event{EventKind::memory_relief,
                          Fault::memory_relief,
                          Severity::error,
                          "killing 4242 (hog)",
                          {{"pid", "4242"}, {"comm", "hog"}, {"rss_kb", "812 KiB"}}}));
  EXPECT_EQ(kept.find("comm"), "hog");
  EXPECT_EQ(kept.find("none"), "");
  EXPECT_FALSE(kept.truncated());
}

TEST(KeptEvent, CutsWhatDoesNotFitAndSaysSo) {
  KeptEvent kept(EventKind::memory_snapshot, std::nullopt, Severity::warning);
  const std::string long_value(KeptEvent::kFieldTextBytes, 'x');
  kept.field("a", long_value);
  EXPECT_TRUE(kept.truncated());
  EXPECT_EQ(kept.value(0).size(), KeptEvent::kFieldTextBytes - 1);  // the key took one byte
  kept.field("b", "y");  // no room left for even the key: the field is dropped whole
  EXPECT_EQ(kept.field_count(), 1U);

  kept.reset(EventKind::memory_snapshot, std::nullopt, Severity::warning);
  EXPECT_FALSE(kept.truncated());
  for (std::size_t i = 0; i < KeptEvent::kMaxFields + 3; ++i) kept.field("k") << i;
  EXPECT_EQ(kept.field_count(), KeptEvent::kMaxFields);
  EXPECT_TRUE(kept.truncated());
  kept.message() << std::string(KeptEvent::kMessageBytes + 5, 'm');
  EXPECT_EQ(kept.message_text().size(), KeptEvent::kMessageBytes);
}

TEST(KeptEvent, FillingAndCopyingItAllocateNothing) {
  ASSERT_TRUE(test::AllocationCounter::available());
  const std::string comm = "python3-with-a-long-name";  // made before counting
  KeptEvent kept;
  KeptEvent copy;
  test::AllocationCounter counter;
  kept.reset(EventKind::memory_relief, Fault::memory_relief, Severity::error);
  kept.message() << "killing " << 4242 << " (" << comm << "), largest resident set: 812 MiB";
  for (int i = 0; i < 10; ++i) {
    kept.field("top") << i << " " << comm << " rss=" << std::uint64_t{1} << 40 << " KiB";
  }
  copy = kept;
  counter.stop();
  EXPECT_EQ(counter.count(), 0U) << "first allocation: " << counter.first_size() << " bytes";
  EXPECT_EQ(copy.to_event(), kept.to_event());
}

TEST(KeptEvent, TheCounterSeesAnAllocation) {  // the test above could not pass by accident
  ASSERT_TRUE(test::AllocationCounter::available());
  test::AllocationCounter counter;
  const Event event = KeptEvent(EventKind::memory_relief, std::nullopt, Severity::info).to_event();
  std::string grown(100, 'x');
  counter.stop();
  EXPECT_GE(counter.count(), 1U);
  EXPECT_EQ(counter.first_size(), 101U);
}

}  // namespace
}  // namespace lifeline

namespace lifeline {
namespace {

TEST(KeptEvent, AnEmptyKeyOrValueIsAField) {  // found by fuzz_kept_event (memcpy from null)
  KeptEvent kept(EventKind::memory_relief, std::nullopt, Severity::info);
  kept.field(std::string_view{}) << std::string_view{};
  kept.field("k", std::string_view{});
  ASSERT_EQ(kept.field_count(), 2U);
  EXPECT_EQ(kept.key(0), "");
  EXPECT_EQ(kept.value(1), "");
  EXPECT_FALSE(kept.truncated());
}

}  // namespace
}  // namespace lifeline
