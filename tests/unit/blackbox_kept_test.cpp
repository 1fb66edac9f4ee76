// Kept records through the black box: the frame they make, what reads back, their order
// among ordinary records, drops when the slots run out, and that the whole way from
// submit_kept() to settled() allocates nothing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "agent/recorder.hpp"
#include "alloc/alloc_counter.hpp"
#include "blackbox/async_writer.hpp"
#include "blackbox/reader.hpp"
#include "blackbox/store.hpp"
#include "fault/kept_event.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline::blackbox {
namespace {

const BootId kBoot = *parse_boot_id("00112233445566778899aabbccddeeff");

// A kill-sized record: ~12 fields of ~100 bytes, like the memory guard's top-RSS snapshot.
KeptEvent make_kept(int n, Severity severity = Severity::error) {
  KeptEvent kept(EventKind::memory_snapshot, Fault::memory_relief, severity);
  kept.message() << "largest resident sets before kill " << n;
  for (std::uint64_t i = 0; i < 12; ++i) {
    kept.field("top") << i << " pid=" << 1000 + i << " comm=" << std::string(70, 'x')
                      << " rss_kb=" << std::uint64_t{812'345} * (i + 1);
  }
  return kept;
}

Record make_record(int n) {
  Record record;
  record.realtime_us = 1'700'000'000'000'000 + n;
  record.monotonic_us = n;
  record.boot_id = kBoot;
  record.event.kind = EventKind::health_check_changed;
  record.event.message = "check changed " + std::to_string(n);
  record.event.fields = {{"n", std::to_string(n)}};
  return record;
}

// Waits the way the memory guard does, without allocating: sleeping is a system call.
void wait_settled(const AsyncWriter& writer, std::uint64_t ticket) {
  for (int i = 0; i < 5000 && writer.settled() < ticket; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

class BlackBoxKept : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "blackbox-kept-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open_store() {
    auto store = Store::open(dir_, {});
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::vector<Record> read_all() {
    auto result = read_store(dir_);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? result->records : std::vector<Record>{};
  }

  std::string dir_;
};

TEST_F(BlackBoxKept, FrameIsTheOrdinaryFrameOfTheSameEvent) {
  const KeptEvent kept = make_kept(1);
  const Stamp stamp{42, 1'700'000'000'123'456, 987'654, kBoot};
  std::vector<std::uint8_t> frame;
  frame.reserve(kMaxFrameBytes);
  frame.assign(7, 0xEE);  // leftovers of an earlier frame are cleared, not appended to
  encode_frame(stamp, kept, frame);
  const Record same{42, stamp.realtime_us, stamp.monotonic_us, kBoot, kept.to_event()};
  EXPECT_EQ(frame, encode_frame(same));
  const Decoded decoded = decode_frame(frame);
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  EXPECT_EQ(decoded.record, same);
}

TEST_F(BlackBoxKept, EncodingIntoAReservedBufferAllocatesNothing) {
  ASSERT_TRUE(test::AllocationCounter::available());
  const KeptEvent kept = make_kept(1);
  std::vector<std::uint8_t> frame;
  frame.reserve(kMaxFrameBytes);
  test::AllocationCounter counter;
  encode_frame(Stamp{1, 2, 3, kBoot}, kept, frame);
  counter.stop();
  EXPECT_EQ(counter.count(), 0U) << "first allocation: " << counter.first_size() << " bytes";
  EXPECT_GT(frame.size(), 12U * 100U);
}

TEST_F(BlackBoxKept, WrittenThroughTheWriterReadsBackAsItsEvent) {
  const KeptEvent kept = make_kept(7);
  {
    AsyncWriter writer(open_store(), 16);
    ASSERT_TRUE(writer.submit_kept(1'700'000'000'000'077, 77, kBoot, kept, true));
    EXPECT_EQ(writer.accepted(), 1U);
    writer.flush();
    EXPECT_EQ(writer.written(), 1U);
    EXPECT_EQ(writer.settled(), 1U);
    EXPECT_FALSE(writer.take_error());
  }
  const std::vector<Record> records = read_all();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0], (Record{1, 1'700'000'000'000'077, 77, kBoot, kept.to_event()}));
}

TEST_F(BlackBoxKept, KeepsSubmissionOrderWithOrdinaryRecords) {
  AsyncWriter writer(open_store(), 16);
  writer.hold_for_testing(true);  // all in one batch: order is the writer's, not timing's
  ASSERT_TRUE(writer.submit(make_record(0), false));
  ASSERT_TRUE(writer.submit_kept(1, 1, kBoot, make_kept(1), true));
  ASSERT_TRUE(writer.submit(make_record(2), false));
  ASSERT_TRUE(writer.submit_kept(3, 3, kBoot, make_kept(3), false));
  ASSERT_TRUE(writer.submit(make_record(4), true));
  writer.hold_for_testing(false);
  writer.flush();
  const std::vector<Record> records = read_all();
  ASSERT_EQ(records.size(), 5U);
  EXPECT_EQ(records[0].event.message, "check changed 0");
  EXPECT_EQ(records[1].event, make_kept(1).to_event());
  EXPECT_EQ(records[2].event.message, "check changed 2");
  EXPECT_EQ(records[3].event, make_kept(3).to_event());
  EXPECT_EQ(records[4].event.message, "check changed 4");
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].seq, i + 1);
}

TEST_F(BlackBoxKept, NoFreeSlotIsADropLikeAFullQueue) {
  AsyncWriter writer(open_store(), 16);
  writer.hold_for_testing(true);
  for (std::size_t i = 0; i < AsyncWriter::kKeptSlots; ++i) {
    EXPECT_TRUE(writer.submit_kept(10 + static_cast<int>(i), 0, kBoot, make_kept(0), false));
  }
  EXPECT_FALSE(writer.submit_kept(99, 0, kBoot, make_kept(99), true));
  EXPECT_EQ(writer.dropped(), 1U);
  EXPECT_EQ(writer.accepted(), AsyncWriter::kKeptSlots);
  EXPECT_TRUE(writer.submit(make_record(5), false));  // the ring itself still has room
  writer.hold_for_testing(false);
  writer.flush();
  // Written, the slots are free again.
  EXPECT_TRUE(writer.submit_kept(100, 0, kBoot, make_kept(100), false));
  writer.flush();

  const std::vector<Record> records = read_all();
  ASSERT_EQ(records.size(), AsyncWriter::kKeptSlots + 3);
  const Record& note = records[AsyncWriter::kKeptSlots + 1];
  EXPECT_EQ(note.event.kind, EventKind::records_dropped);
  EXPECT_EQ(note.event.fields, (std::vector<EventField>{{"count", "1"}}));
  EXPECT_EQ(note.realtime_us, 99);  // stamped with the dropped record's time
  EXPECT_EQ(records.back().realtime_us, 100);
  EXPECT_EQ(writer.written(), AsyncWriter::kKeptSlots + 2);
}

TEST_F(BlackBoxKept, AFullQueueDropsAKeptRecord) {
  AsyncWriter writer(open_store(), 2);
  writer.hold_for_testing(true);
  EXPECT_TRUE(writer.submit(make_record(0), false));
  EXPECT_TRUE(writer.submit(make_record(1), false));
  EXPECT_FALSE(writer.submit_kept(2, 2, kBoot, make_kept(2), true));
  EXPECT_EQ(writer.dropped(), 1U);
  EXPECT_EQ(writer.accepted(), 2U);
}

TEST_F(BlackBoxKept, FromSubmitToSettledAllocatesNothing) {
  ASSERT_TRUE(test::AllocationCounter::available());
  AsyncWriter writer(open_store(), 16);
  const KeptEvent kept = make_kept(1);
  // The first append may open things (and the thread warm up); count the next one.
  ASSERT_TRUE(writer.submit_kept(1, 1, kBoot, kept, true));
  wait_settled(writer, writer.accepted());

  test::AllocationCounter counter;
  const bool accepted = writer.submit_kept(2, 2, kBoot, kept, true);
  const std::uint64_t ticket = writer.accepted();
  wait_settled(writer, ticket);
  counter.stop();
  ASSERT_TRUE(accepted);
  ASSERT_GE(writer.settled(), ticket);
  EXPECT_EQ(counter.count(), 0U) << "first allocation: " << counter.first_size() << " bytes";
  EXPECT_FALSE(writer.take_error());
  EXPECT_EQ(read_all().size(), 2U);
}

// A kill's fsync wait covers the ordinary records queued before its own: the writer
// encodes those into the Store's frame buffer too, without allocating. Building the
// record is the caller's allocation, and the counter sees that one (it is not blind).
TEST_F(BlackBoxKept, AnOrdinaryRecordIsWrittenWithoutAllocatingToo) {
  ASSERT_TRUE(test::AllocationCounter::available());
  AsyncWriter writer(open_store(), 16);
  ASSERT_TRUE(writer.submit(make_record(0), true));
  wait_settled(writer, writer.accepted());
  Record record = make_record(1);  // built before counting: only the writer's work counts

  test::AllocationCounter counter;
  ASSERT_TRUE(writer.submit(std::move(record), true));
  const std::uint64_t ticket = writer.accepted();
  wait_settled(writer, ticket);
  counter.stop();
  ASSERT_GE(writer.settled(), ticket);
  EXPECT_EQ(counter.count(), 0U) << "first allocation: " << counter.first_size() << " bytes";

  test::AllocationCounter building;
  const Record built = make_record(2);
  building.stop();
  EXPECT_GE(building.count(), 1U);
  EXPECT_EQ(read_all().size(), 2U);
}

}  // namespace
}  // namespace lifeline::blackbox

namespace lifeline {
namespace {

class RecorderKept : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "recorder-kept-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    console_ = std::tmpfile();
    ASSERT_NE(console_, nullptr);
  }
  void TearDown() override {
    if (console_ != nullptr) std::fclose(console_);
    std::filesystem::remove_all(dir_);
  }

  std::string console_text() {
    std::fflush(console_);
    std::rewind(console_);
    std::string text;
    for (int c = std::fgetc(console_); c != EOF; c = std::fgetc(console_)) {
      text.push_back(static_cast<char>(c));
    }
    std::fseek(console_, 0, SEEK_END);
    return text;
  }

  std::string dir_;
  std::FILE* console_ = nullptr;
  hal::FakeClock clock_;
};

KeptEvent make_relief() {
  KeptEvent kept(EventKind::memory_relief, Fault::memory_relief, Severity::warning);
  kept.message() << "killing 4242 (hog)";
  kept.field("pid") << 4242;
  return kept;
}

TEST_F(RecorderKept, BlackBoxFirstThenEverythingElseOnce) {
  auto store = blackbox::Store::open(dir_, {});
  ASSERT_TRUE(store.ok()) << store.error().message;
  blackbox::AsyncWriter writer(std::move(*store), 16);
  Recorder recorder(clock_, "00112233445566778899aabbccddeeff",
                    RecorderSinks{&writer, false, console_});
  int heard = 0;
  recorder.on_recorded([&](const Event&) { ++heard; });
  const KeptEvent kept = make_relief();

  recorder.record_kept(kept);
  writer.flush();
  EXPECT_EQ(writer.written(), 1U);
  EXPECT_EQ(console_text(), "");
  EXPECT_EQ(heard, 0);
  auto records = blackbox::read_store(dir_);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->records.size(), 1U);
  const blackbox::Record& written = records->records[0];
  EXPECT_EQ(written.event, kept.to_event());
  EXPECT_EQ(written.realtime_us, 1'700'000'000'000'000);  // the fake clock's stamps
  EXPECT_EQ(written.monotonic_us, 1'000'000'000);
  EXPECT_EQ(written.boot_id, recorder.boot_id());

  recorder.narrate_kept(kept);
  writer.flush();
  EXPECT_EQ(writer.written(), 1U);  // no second black box record
  EXPECT_EQ(writer.accepted(), 1U);
  const std::string text = console_text();
  EXPECT_NE(text.find("killing 4242 (hog)"), std::string::npos) << text;
  EXPECT_EQ(text.find("killing 4242 (hog)"), text.rfind("killing 4242 (hog)")) << text;
  EXPECT_EQ(heard, 1);
  EXPECT_EQ(recorder.recent().last_seq(), 1U);
}

TEST_F(RecorderKept, WithoutABlackBoxTheNarrationStillHappensOnce) {
  Recorder recorder(clock_, "00112233445566778899aabbccddeeff",
                    RecorderSinks{nullptr, false, console_});
  const KeptEvent kept = make_relief();
  recorder.record_kept(kept);
  EXPECT_EQ(console_text(), "");
  EXPECT_EQ(recorder.recent().last_seq(), 0U);
  recorder.narrate_kept(kept);
  const std::string text = console_text();
  EXPECT_NE(text.find("killing 4242 (hog)"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;  // one line
  EXPECT_EQ(recorder.recent().last_seq(), 1U);
}

TEST(RecorderDurability, KindAndSeverityDecideAsForAnEvent) {
  EXPECT_TRUE(Recorder::is_durable(EventKind::memory_snapshot, Severity::info));
  EXPECT_TRUE(Recorder::is_durable(EventKind::health_check_changed, Severity::error));
  EXPECT_FALSE(Recorder::is_durable(EventKind::health_check_changed, Severity::warning));
  EXPECT_TRUE(Recorder::is_durable(Event{EventKind::memory_relief, {}, Severity::info, "", {}}));
}

}  // namespace
}  // namespace lifeline
