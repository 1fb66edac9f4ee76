// The memory guard's /proc scan on a /proc tree the test writes: every PID listed, the
// table's capacity, growth between scans, a cgroup's long process list, and the details a
// kill needs, all without allocating once the scanner is made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "alloc/alloc_counter.hpp"
#include "config_test_support.hpp"
#include "memory/process_scan.hpp"
#include "memory/victim.hpp"
#include "util/proc.hpp"

namespace lifeline::memory {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::uint64_t kPageKb = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// /proc/PID with statm (resident `pages`) and comm.
void add_process(const std::string& root, pid_t pid, std::uint64_t pages,
                 const std::string& comm = "proc") {
  const std::string dir = root + "/" + std::to_string(pid);
  fs::create_directories(dir);
  write(dir + "/statm", "1000 " + std::to_string(pages) + " 10 1 0 50 0\n");
  write(dir + "/comm", comm + "\n");
}

// The files describe() reads beyond statm and comm.
void add_details(const std::string& root, pid_t pid, const std::string& cgroup_line,
                 const std::string& exe, std::uint64_t rss_kb = 40) {
  const std::string dir = root + "/" + std::to_string(pid);
  write(dir + "/status", "Name:\tx\nPPid:\t12\nVmRSS:\t" + std::to_string(rss_kb) +
                             " kB\nRssAnon:\t30 kB\nRssFile:\t10 kB\nRssShmem:\t0 kB\n");
  write(dir + "/cgroup", cgroup_line + "\n");
  if (!exe.empty()) fs::create_symlink(exe, dir + "/exe");
}

hal::MonoTime at(std::chrono::seconds s) {
  return hal::MonoTime{} + s;
}

TEST(MemoryProcessScan, EveryPidDirectoryIsListedAndNothingElse) {
  test::TempDir dir;
  const std::string root = dir.path();
  // More than one getdents batch (the scanner asks for 256 PIDs at a time).
  for (pid_t pid = 100; pid < 700; ++pid) add_process(root, pid, static_cast<std::uint64_t>(pid));
  fs::create_directories(root + "/self");
  fs::create_directories(root + "/net");
  write(root + "/meminfo", "MemTotal: 1 kB\n");
  ProcessScanner scanner(root);
  const auto rows = scanner.scan(at(0s));
  ASSERT_EQ(rows.size(), 600U);
  std::uint64_t sum = 0;
  for (const ScanRow& row : rows) {
    EXPECT_EQ(row.rss_kb, static_cast<std::uint64_t>(row.pid) * kPageKb);
    EXPECT_EQ(row.comm, "proc");
    sum += static_cast<std::uint64_t>(row.pid);
  }
  EXPECT_EQ(sum, (100U + 699U) * 600U / 2U);  // each PID once
  EXPECT_EQ(scanner.overflowed(), 0U);
}

TEST(MemoryProcessScan, AFullTableKeepsTheLargestAndCountsTheRest) {
  test::TempDir dir;
  for (pid_t pid = 1; pid <= 10; ++pid) {
    add_process(dir.path(), pid, static_cast<std::uint64_t>(11 - pid));  // PID 1 is largest
  }
  ProcessScanner scanner(dir.path(), 4);
  const auto rows = scanner.scan(at(0s));
  ASSERT_EQ(rows.size(), 4U);
  for (const ScanRow& row : rows) EXPECT_LE(row.pid, 4) << "PID " << row.pid << " is not a top 4";
  EXPECT_EQ(scanner.overflowed(), 6U);
}

TEST(MemoryProcessScan, GrowthIsAgainstThePreviousScanOfTheSamePid) {
  test::TempDir dir;
  add_process(dir.path(), 42, 100);
  add_process(dir.path(), 43, 100);
  ProcessScanner scanner(dir.path());
  const auto first = scanner.scan(at(10s));
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].growth_kib_per_s, 0);  // nothing to compare with yet
  add_process(dir.path(), 42, 300);
  const auto second = scanner.scan(at(12s));
  ASSERT_EQ(second.size(), 2U);
  for (const ScanRow& row : second) {
    const double expected = row.pid == 42 ? 200.0 * static_cast<double>(kPageKb) / 2 : 0;
    EXPECT_DOUBLE_EQ(row.growth_kib_per_s, expected) << "PID " << row.pid;
  }
}

TEST(MemoryProcessScan, ACgroupsLongProcessListIsReadWhole) {
  test::TempDir dir;
  const std::string root = (dir.path() + "/proc");
  const std::string cgroup = (dir.path() + "/cgroup");
  fs::create_directories(cgroup);
  std::string procs;
  // Over 1.5 KiB of PIDs (the scanner reads 512 bytes at a time): lines cut at every
  // piece's end. Every third one has exited since (no /proc entry).
  for (pid_t pid = 10000; pid < 10300; ++pid) {
    procs += std::to_string(pid) + "\n";
    if (pid % 3 != 0) add_process(root, pid, 5);
  }
  write(cgroup + "/cgroup.procs", procs);
  ProcessScanner scanner(root);
  const auto rows = scanner.scan_cgroup(cgroup, at(0s));
  EXPECT_EQ(rows.size(), 200U);
  for (const ScanRow& row : rows) EXPECT_NE(row.pid % 3, 0);
}

TEST(MemoryProcessScan, ARowIsDescribedWithWhatProtectionNeeds) {
  test::TempDir dir;
  const std::string root = dir.path();
  add_process(root, 77, 10, "robotd");
  add_details(root, 77, "4:memory:/system.slice/robotd.service\n0::/system.slice/robotd.service",
              "/usr/bin/robotd", 4096);
  write(root + "/77/oom_score_adj", "-500\n");
  ProcessScanner scanner(root);
  const auto rows = scanner.scan(at(0s));
  ASSERT_EQ(rows.size(), 1U);
  ProcessInfo info;
  ASSERT_TRUE(scanner.describe(rows[0], info));
  EXPECT_EQ(info.pid, 77);
  EXPECT_EQ(info.ppid, 12);
  EXPECT_EQ(info.comm, "robotd");
  EXPECT_EQ(info.exe, "/usr/bin/robotd");
  EXPECT_EQ(info.cgroup, "/system.slice/robotd.service");
  EXPECT_EQ(info.rss_kb, 4096U);
  EXPECT_EQ(info.anon_kb, 30U);
  EXPECT_EQ(info.oom_score_adj, -500);
  EXPECT_FALSE(protection(info, ProtectRules{}).is_protected);
}

TEST(MemoryProcessScan, APathTooLongToHoldIsNeverAVictim) {
  test::TempDir dir;
  const std::string root = dir.path();
  add_process(root, 78, 10, "deep");
  const std::string deep = "/user.slice/" + std::string(kCgroupBytes, 'x') + "/app.service";
  add_details(root, 78, "0::" + deep, "/opt/" + std::string(kExeBytes, 'y'));
  ProcessScanner scanner(root);
  const auto rows = scanner.scan(at(0s));
  ASSERT_EQ(rows.size(), 1U);
  ProcessInfo info;
  ASSERT_TRUE(scanner.describe(rows[0], info));
  EXPECT_TRUE(info.cgroup.truncated());
  EXPECT_TRUE(info.exe.truncated());
  // Its unit cannot be seen in a cut path: it might be protected, so it is kept.
  ProtectRules rules;
  rules.units = {"app.service"};
  const Protection kept = protection(info, rules);
  EXPECT_TRUE(kept.is_protected);
  EXPECT_EQ(kept.text(), "cgroup path too long to check");
  EXPECT_FALSE(choose_victim(std::span(&info, 1), ProtectRules{}, VictimOrder::largest));
}

TEST(MemoryProcessScan, ScanningAndDescribingAllocateNothing) {
  ASSERT_TRUE(test::AllocationCounter::available());
  test::TempDir dir;
  const std::string root = dir.path();
  for (pid_t pid = 100; pid < 400; ++pid) {
    add_process(root, pid, 7);
    add_details(root, pid, "0::/user.slice/x.scope", "");
  }
  const std::string cgroup = (dir.path() + "/cg");
  fs::create_directories(cgroup);
  write(cgroup + "/cgroup.procs", "100\n101\n102\n");
  ProcessScanner scanner(root);
  ProcessInfo info;
  std::size_t described = 0;
  test::AllocationCounter counter;
  for (int round = 0; round < 3; ++round) {
    const auto rows = scanner.scan(at(std::chrono::seconds(round)));
    for (const ScanRow& row : rows) described += scanner.describe(row, info) ? 1U : 0U;
    described += scanner.scan_cgroup(cgroup, at(std::chrono::seconds(round))).size();
  }
  counter.stop();
  EXPECT_EQ(described, 3U * 303U);
  EXPECT_EQ(counter.count(), 0U) << "first allocation: " << counter.first_size() << " bytes";
}

}  // namespace
}  // namespace lifeline::memory

namespace lifeline {
namespace {

std::vector<pid_t> split_in_pieces(std::string_view text, std::size_t piece) {
  std::vector<pid_t> pids;
  PidLines lines;
  const auto visit = [&](pid_t pid) { pids.push_back(pid); };
  for (std::size_t at = 0; at < text.size(); at += piece) lines.feed(text.substr(at, piece), visit);
  lines.finish(visit);
  return pids;
}

TEST(PidLines, APidCutAtAnyPointIsReadWhole) {
  const std::string text = "12\n3456\n789012\n4194304\n";
  const std::vector<pid_t> whole{12, 3456, 789012, 4194304};
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    EXPECT_EQ(split_in_pieces(text, piece), whole) << "pieces of " << piece;
  }
}

TEST(PidLines, JunkAndOverlongLinesAreSkippedWhole) {
  // A line longer than any PID whose tail alone would read as one ("...99"), a word, an
  // empty line, zero, and a last line without its newline.
  const std::string text = std::string(100, '9') + "\nfoo\n\n0\n77\n-5\n88";
  for (std::size_t piece : {1U, 7U, 64U, 1000U}) {
    EXPECT_EQ(split_in_pieces(text, piece), (std::vector<pid_t>{77, 88})) << "pieces of " << piece;
  }
}

}  // namespace
}  // namespace lifeline
