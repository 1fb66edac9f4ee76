// The Store on real temp files: ring rotation, tail recovery on reopen, and the
// AsyncWriter's ordering, flush and drop accounting.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "blackbox/async_writer.hpp"
#include "blackbox/reader.hpp"
#include "blackbox/store.hpp"

namespace lifeline::blackbox {
namespace {

Record make_record(int n) {
  Record record;
  record.realtime_us = 1'700'000'000'000'000 + n;
  record.monotonic_us = n;
  record.boot_id = *parse_boot_id("0123456789abcdef0123456789abcdef");
  record.event.kind = EventKind::health_check_changed;
  record.event.message = "check changed " + std::to_string(n);
  record.event.fields = {{"n", std::to_string(n)}};
  return record;
}

void append_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class BlackBoxStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "blackbox-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/state/blackbox";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<Store> open_store(StoreLimits limits = {}) {
    auto store = Store::open(dir_, limits);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  }

  ReadResult read_all() {
    auto result = read_store(dir_);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? *result : ReadResult{};
  }

  std::string newest_segment() {
    auto segments = list_segments(dir_);
    return segments.ok() && !segments->empty() ? segments->back().path : "";
  }

  std::string root_;
  std::string dir_;
};

TEST_F(BlackBoxStore, OpenCreatesDirectoryAndFirstSegment) {
  auto store = open_store();
  ASSERT_TRUE(store);
  struct stat info {};
  ASSERT_EQ(::stat(dir_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0750U);
  EXPECT_EQ(newest_segment(), dir_ + "/seg-0000000000000001.llbb");
  EXPECT_EQ(store->next_seq(), 1U);
  EXPECT_EQ(store->recovered_tail_bytes(), 0U);
}

TEST_F(BlackBoxStore, AppendAssignsSeqsAndReadsBack) {
  auto store = open_store();
  ASSERT_TRUE(store);
  for (int i = 0; i < 5; ++i) {
    Record record = make_record(i);
    record.seq = 999;  // ignored
    auto seq = store->append(record, i == 2);
    ASSERT_TRUE(seq.ok()) << seq.error().message;
    EXPECT_EQ(*seq, static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(store->sync().ok());
  const ReadResult result = read_all();
  ASSERT_EQ(result.records.size(), 5U);
  for (int i = 0; i < 5; ++i) {
    Record expected = make_record(i);
    expected.seq = static_cast<std::uint64_t>(i + 1);
    EXPECT_EQ(result.records[static_cast<std::size_t>(i)], expected);
  }
}

TEST_F(BlackBoxStore, RejectsTooSmallLimits) {
  auto store = Store::open(dir_, {.segment_bytes = 100, .segments = 8});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("segment_bytes 100"), std::string::npos);
  EXPECT_FALSE(Store::open(dir_, {.segment_bytes = 4096, .segments = 1}).ok());
}

TEST_F(BlackBoxStore, SecondWriterIsRefused) {
  auto first = open_store();
  ASSERT_TRUE(first);
  auto second = Store::open(dir_, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use"), std::string::npos);
  first.reset();
  EXPECT_TRUE(Store::open(dir_, {}).ok());
}

TEST_F(BlackBoxStore, OpenErrorNamesThePath) {
  const std::string file = root_ + "/not-a-dir";
  std::ofstream(file) << "x";
  auto store = Store::open(file + "/blackbox", {});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(file), std::string::npos) << store.error().message;
}

TEST_F(BlackBoxStore, RingKeepsTheNewestSegments) {
  const StoreLimits limits{.segment_bytes = 2048, .segments = 3};
  auto store = open_store(limits);
  ASSERT_TRUE(store);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(store->append(make_record(i), false).ok());
  }

  auto segments = list_segments(dir_);
  ASSERT_TRUE(segments.ok());
  ASSERT_EQ(segments->size(), 3U);
  for (const auto& segment : *segments) {
    EXPECT_LE(std::filesystem::file_size(segment.path), 2048U);
  }
  const ReadResult result = read_all();
  EXPECT_EQ(result.stats.segments, 3U);
  ASSERT_FALSE(result.records.empty());
  EXPECT_EQ(result.records.front().seq, segments->front().first_seq);
  EXPECT_EQ(result.records.back().seq, 300U);
  for (std::size_t i = 1; i < result.records.size(); ++i) {
    EXPECT_EQ(result.records[i].seq, result.records[i - 1].seq + 1);
  }
}

TEST_F(BlackBoxStore, ReopenContinuesSeq) {
  ASSERT_TRUE(open_store()->append(make_record(1), false).ok());
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->next_seq(), 2U);
  EXPECT_EQ(*store->append(make_record(2), true), 2U);
}

TEST_F(BlackBoxStore, ReopenCutsATornTail) {
  {
    auto store = open_store();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(store->append(make_record(i), false).ok());
    }
  }
  auto torn = encode_frame(make_record(3));
  torn.resize(20);
  append_bytes(newest_segment(), torn);
  EXPECT_EQ(read_all().stats.torn_tails, 1U);

  auto store = open_store();
  EXPECT_EQ(store->recovered_tail_bytes(), 20U);
  EXPECT_EQ(*store->append(make_record(3), false), 4U);
  const ReadResult result = read_all();
  EXPECT_EQ(result.records.size(), 4U);
  EXPECT_EQ(result.stats.torn_tails + result.stats.corrupt_frames, 0U);
}

TEST_F(BlackBoxStore, ReopenCutsACorruptTail) {
  {
    auto store = open_store();
    ASSERT_TRUE(store->append(make_record(0), false).ok());
  }
  auto bad = encode_frame(make_record(1));
  bad.back() ^= 1;
  append_bytes(newest_segment(), bad);
  auto store = open_store();
  EXPECT_EQ(store->recovered_tail_bytes(), bad.size());
  EXPECT_EQ(store->next_seq(), 2U);
}

TEST_F(BlackBoxStore, EmptyNewestSegmentLeavesSeqToOlderOnes) {
  {
    auto store = open_store({.segment_bytes = 1024, .segments = 4});
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(store->append(make_record(i), false).ok());
    }
  }
  // As if a crash came right after a rotation created the next segment.
  std::ofstream(dir_ + "/" + segment_file_name(21)).flush();
  auto store = open_store({.segment_bytes = 1024, .segments = 4});
  EXPECT_EQ(store->next_seq(), 21U);
  EXPECT_EQ(*store->append(make_record(20), false), 21U);
}

TEST_F(BlackBoxStore, ReadStoreReportsMissingDirectory) {
  auto result = read_store(dir_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "black box directory " + dir_ + " does not exist");
}

TEST_F(BlackBoxStore, ReadStoreIgnoresOtherFiles) {
  auto store = open_store();
  ASSERT_TRUE(store->append(make_record(0), false).ok());
  std::ofstream(dir_ + "/notes.txt") << "LLBX junk";
  const ReadResult result = read_all();
  EXPECT_EQ(result.records.size(), 1U);
  EXPECT_EQ(result.stats.segments, 1U);
}

TEST_F(BlackBoxStore, AsyncWriterWritesInOrderAndFlushes) {
  auto store = open_store();
  AsyncWriter writer(std::move(store), 16);
  int accepted = 0;
  for (int i = 0; i < 200; ++i) {
    if (writer.submit(make_record(i), i % 10 == 0)) ++accepted;
  }
  writer.flush();
  EXPECT_EQ(writer.written(), static_cast<std::uint64_t>(accepted));
  EXPECT_EQ(writer.written() + writer.dropped(), 200U);
  EXPECT_FALSE(writer.take_error());
  const ReadResult result = read_all();
  ASSERT_FALSE(result.records.empty());
  // Each drop note stands exactly where its records went missing.
  int next = 0;
  for (const Record& record : result.records) {
    if (record.event.kind == EventKind::records_dropped) {
      const int count = std::stoi(record.event.fields.at(0).value);
      EXPECT_EQ(record.realtime_us, make_record(next).realtime_us);
      next += count;
      continue;
    }
    EXPECT_EQ(record.event.fields.at(0).value, std::to_string(next));
    ++next;
  }
  EXPECT_EQ(next, 200);
}

TEST_F(BlackBoxStore, AsyncWriterSignalsWhenARecordIsSettled) {
  AsyncWriter writer(open_store(), 16);
  ASSERT_GE(writer.settle_fd(), 0);
  writer.hold_for_testing(true);
  ASSERT_TRUE(writer.submit(make_record(1), true));
  const std::uint64_t ticket = writer.accepted();
  EXPECT_EQ(ticket, 1U);
  EXPECT_LT(writer.settled(), ticket);  // held: not on disk yet
  pollfd ready{writer.settle_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&ready, 1, 0), 0);
  writer.hold_for_testing(false);
  ASSERT_EQ(::poll(&ready, 1, 5000), 1);  // the batch is written and synced
  EXPECT_GE(writer.settled(), ticket);
  EXPECT_EQ(read_all().records.size(), 1U);
}

TEST_F(BlackBoxStore, AsyncWriterRecordsDrops) {
  AsyncWriter writer(open_store(), 4);
  writer.hold_for_testing(true);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(writer.submit(make_record(i), i == 5), i < 4);
  }
  EXPECT_EQ(writer.dropped(), 6U);
  writer.hold_for_testing(false);
  writer.flush();
  EXPECT_TRUE(writer.submit(make_record(10), false));
  writer.flush();
  EXPECT_EQ(writer.written(), 5U);

  const ReadResult result = read_all();
  ASSERT_EQ(result.records.size(), 6U);
  const Record& note = result.records[4];
  EXPECT_EQ(note.event.kind, EventKind::records_dropped);
  EXPECT_EQ(note.event.severity, Severity::warning);
  EXPECT_EQ(note.event.fields, (std::vector<EventField>{{"count", "6"}}));
  EXPECT_EQ(note.realtime_us, make_record(4).realtime_us);
  EXPECT_EQ(result.records[5].event.message, "check changed 10");
}

TEST_F(BlackBoxStore, AsyncWriterReportsWriteErrors) {
  AsyncWriter writer(open_store(), 8);
  writer.flush();
  // A file size limit makes the next write fail with EFBIG after a partial write.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit tiny = saved;
  tiny.rlim_cur = 1;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
  EXPECT_TRUE(writer.submit(make_record(0), true));
  writer.flush();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);

  const auto error = writer.take_error();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->errno_value, EFBIG);
  EXPECT_NE(error->message.find("cannot write black box segment " + dir_), std::string::npos)
      << error->message;
  EXPECT_FALSE(writer.take_error());
  EXPECT_EQ(writer.failed(), 1U);

  EXPECT_TRUE(writer.submit(make_record(1), true));
  writer.flush();
  EXPECT_FALSE(writer.take_error());
  const ReadResult result = read_all();
  ASSERT_EQ(result.records.size(), 1U);  // the failed write left no partial frame
  EXPECT_EQ(result.records[0].seq, 1U);
  EXPECT_EQ(result.stats.corrupt_frames + result.stats.torn_tails, 0U);
}

}  // namespace
}  // namespace lifeline::blackbox
