// kill -9 the black box writer hundreds of times mid-write and check that the store never
// returns a damaged record, never reuses a seq, and never loses a record reported durable.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "blackbox/reader.hpp"

namespace lifeline::blackbox {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kKills = 200;
constexpr std::uint32_t kSegmentBytes = 16 * 1024;
constexpr std::uint32_t kSegments = 4;

// One writer process with its stdout on a pipe.
class Writer {
 public:
  explicit Writer(const std::string& dir) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    const std::string bytes = std::to_string(kSegmentBytes);
    const std::string segments = std::to_string(kSegments);
    const char* argv[] = {BLACKBOX_WRITER_BINARY, dir.c_str(), bytes.c_str(), segments.c_str(),
                          nullptr};
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);  // dup2 clears close-on-exec on the copy
      ::execv(argv[0], const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Writer() {
    kill_and_reap();
    if (out_ >= 0) ::close(out_);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0 && out_ >= 0; }

  // Reads output until `deadline`, or until a complete line arrives when `until_line`.
  void read_until(Clock::time_point deadline, bool until_line = false) {
    for (;;) {
      if (until_line && buffer_.find('\n') != std::string::npos) return;
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || eof_) return;
      pollfd pfd{out_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) > 0) read_some();
    }
  }

  // SIGKILL by the pid we started, reap it, then collect everything it printed.
  void kill_and_reap() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    while (!eof_) read_some();
  }

  // Complete lines only: a line cut by the kill was never fully reported.
  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t end; (end = buffer_.find('\n', start)) != std::string::npos; start = end + 1) {
      out.push_back(buffer_.substr(start, end - start));
    }
    return out;
  }

 private:
  void read_some() {
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      eof_ = true;
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

struct Totals {
  std::vector<std::uint64_t> acked;  // ascending: each run starts past the previous ones
  std::uint64_t highest_seq = 0;     // in the store after the last kill
  std::uint64_t newest_segment = 0;  // first seq named by the newest segment
  std::size_t torn_tails = 0;
  std::uint64_t recovered_bytes = 0;
  std::size_t extra_segment_seen = 0;  // killed between creating a segment and the cleanup
};

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The writer derives every record from its seq; anything else is damage that got through.
void check_content(const Record& record) {
  const bool durable = record.seq % 4 == 0;
  EXPECT_EQ(record.event.message, "writer record " + std::to_string(record.seq));
  EXPECT_EQ(record.event.kind, durable ? EventKind::fault_raised : EventKind::health_check_changed);
  EXPECT_EQ(record.event.fault.has_value(), durable);
  ASSERT_EQ(record.event.fields.size(), 3U);
  EXPECT_EQ(record.event.fields[0], (EventField{"counter", std::to_string(record.seq)}));
  EXPECT_EQ(record.event.fields[2].value, std::string(static_cast<std::size_t>(record.seq % 97),
                                                      static_cast<char>('a' + record.seq % 26)));
}

// Checks everything the store promises after a crash; returns how many records it holds.
std::size_t check_store(const std::string& dir, Totals& totals) {
  auto segments = list_segments(dir);
  EXPECT_TRUE(segments.ok());
  if (!segments.ok() || segments->empty()) return 0;
  EXPECT_LE(segments->size(), kSegments + 1);
  if (segments->size() > kSegments) ++totals.extra_segment_seen;

  // Segment by segment: whole frames in seq order within the range its name and the next
  // segment's name give, damage only as a torn tail of the newest segment.
  for (std::size_t i = 0; i < segments->size(); ++i) {
    const SegmentFile& segment = (*segments)[i];
    const auto bytes = file_bytes(segment.path);
    EXPECT_LE(bytes.size(), kSegmentBytes) << segment.path;
    const ReadResult one = read_segment_bytes(bytes);
    EXPECT_EQ(one.stats.corrupt_frames, 0U) << segment.path;
    if (i + 1 < segments->size()) {
      EXPECT_EQ(one.stats.torn_tails, 0U) << segment.path;
    }
    totals.torn_tails += one.stats.torn_tails;
    std::uint64_t previous = segment.first_seq - 1;
    for (const Record& record : one.records) {
      EXPECT_EQ(record.seq, previous + 1) << segment.path;
      previous = record.seq;
      check_content(record);
    }
    if (i + 1 < segments->size()) {
      EXPECT_LT(previous, (*segments)[i + 1].first_seq);
    }
  }

  auto read = read_store(dir);
  EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().message);
  if (!read.ok()) return 0;
  const std::vector<Record>& records = read->records;
  for (std::size_t i = 1; i < records.size(); ++i) {
    EXPECT_GT(records[i].seq, records[i - 1].seq);
  }

  // The ring deletes whole old segments, and a segment holds seqs from its name on, so
  // every acked record from the oldest surviving segment's name on must still be there.
  const std::uint64_t oldest_kept = segments->front().first_seq;
  for (auto it = totals.acked.rbegin(); it != totals.acked.rend() && *it >= oldest_kept; ++it) {
    const auto found =
        std::lower_bound(records.begin(), records.end(), *it,
                         [](const Record& record, std::uint64_t seq) { return record.seq < seq; });
    EXPECT_TRUE(found != records.end() && found->seq == *it)
        << "acked durable record " << *it << " is missing";
  }
  if (!records.empty()) totals.highest_seq = records.back().seq;
  totals.newest_segment = segments->back().first_seq;
  return records.size();
}

TEST(BlackBoxCrash, KillNineNeverLosesAckedRecords) {
  std::string pattern = ::testing::TempDir() + "blackbox-crash-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::string root = pattern;
  // Removed however the test ends (an ASSERT returns early).
  const std::unique_ptr<const std::string, void (*)(const std::string*)> cleanup(
      &root, [](const std::string* path) { std::filesystem::remove_all(*path); });
  const std::string dir = root + "/blackbox";

  const auto seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> write_ms(1, 25);
  std::uniform_int_distribution<int> startup_ms(0, 40);
  std::cout << "[ seed     ] " << seed << "\n";

  Totals totals;
  std::size_t early_kills = 0;
  std::size_t final_records = 0;
  const auto started = Clock::now();
  for (int kill = 1; kill <= kKills; ++kill) {
    Writer writer(dir);
    ASSERT_TRUE(writer.started());
    // Every 10th run is killed at a random point of startup, recovery included.
    const bool early = kill % 10 == 0;
    if (early) {
      ++early_kills;
      writer.read_until(Clock::now() + milliseconds(startup_ms(random)));
    } else {
      writer.read_until(Clock::now() + std::chrono::seconds(20), true);
      writer.read_until(Clock::now() + milliseconds(write_ms(random)));
    }
    writer.kill_and_reap();

    const auto lines = writer.lines();
    if (!early) {
      ASSERT_FALSE(lines.empty()) << "the writer never became ready";
    }
    for (const std::string& line : lines) {
      unsigned long long a = 0;
      unsigned long long b = 0;
      if (std::sscanf(line.c_str(), "ready %llu %llu", &a, &b) == 2) {
        // A new run starts after everything already in the store, never reusing a seq.
        EXPECT_EQ(a, std::max(totals.highest_seq + 1, totals.newest_segment));
        totals.recovered_bytes += b;
      } else if (std::sscanf(line.c_str(), "ack %llu", &a) == 1) {
        if (!totals.acked.empty()) {
          EXPECT_GT(a, totals.acked.back());
        }
        totals.acked.push_back(a);
      } else {
        ADD_FAILURE() << "unexpected writer output: " << line;
      }
    }
    final_records = check_store(dir, totals);
    if (::testing::Test::HasFailure()) break;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "[ crash    ] kills " << kKills << " (" << early_kills << " during startup), "
            << "acked " << totals.acked.size() << ", highest seq " << totals.highest_seq
            << ", records kept " << final_records << ", torn tails seen " << totals.torn_tails
            << ", tail bytes recovered " << totals.recovered_bytes << ", kills between rotate "
            << "and cleanup " << totals.extra_segment_seen << ", " << seconds << " s\n";
  // Proof the test exercised something: durable records and ring rotations happened.
  EXPECT_GE(totals.acked.size(), 50U);
  EXPECT_GT(totals.newest_segment, 1U);
}

}  // namespace
}  // namespace lifeline::blackbox
