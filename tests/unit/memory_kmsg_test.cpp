// /dev/kmsg records and the OOM killer's report: real captures parsed to exact fields,
// constructed 6.6-format lines, unrelated and broken input.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "memory/kmsg_oom.hpp"

namespace lifeline::memory {
namespace {

std::vector<std::string> fixture_lines(const std::string& name) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/tests/fixtures/kmsg/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != '#') lines.push_back(line);
  }
  return lines;
}

std::vector<OomKill> kills_in(const std::vector<std::string>& lines) {
  OomKillParser parser;
  std::vector<OomKill> kills;
  for (const auto& line : lines) {
    auto record = parse_kmsg_record(line);
    EXPECT_TRUE(record.ok()) << line << ": " << (record ? "" : record.error().message);
    if (!record) continue;
    for (auto& kill : parser.consume(*record)) kills.push_back(std::move(kill));
  }
  if (auto rest = parser.flush()) kills.push_back(std::move(*rest));
  return kills;
}

TEST(MemoryKmsg, ParsesRecordHeader) {
  auto record = parse_kmsg_record("3,523,90017949,-;Out of memory: x");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->priority, 3);
  EXPECT_EQ(kmsg_level(record->priority), 3);
  EXPECT_EQ(record->seq, 523u);
  EXPECT_EQ(record->usec, 90017949u);
  EXPECT_EQ(record->text, "Out of memory: x");
}

TEST(MemoryKmsg, AcceptsExtraHeaderFieldsAndContinuationLines) {
  auto record = parse_kmsg_record(
      "30,7,100,c,caller=T1;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n");
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(record->priority, 30);
  EXPECT_EQ(kmsg_level(record->priority), 6);
  EXPECT_EQ(record->text, "usb 1-1: new device");
}

TEST(MemoryKmsg, DecodesEscapes) {
  auto record = parse_kmsg_record("4,1,2,-;a:1\\x0a b:2\\x5c\\xZZ\\x4");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->text, "a:1\n b:2\\\\xZZ\\x4");
}

TEST(MemoryKmsg, RejectsMalformedRecords) {
  for (const char* bad : {"", "no header", "4,1,2;text", "x,1,2,-;t", "4,-1,2,-;t", "4,1,2,;t",
                          "-4,1,2,-;t", "4,1,99999999999999999999999,-;t",
                          "4,1,2,-;text\nnot a continuation", "4,1,2,-;text\n\n SUB=x"}) {
    auto record = parse_kmsg_record(bad);
    EXPECT_FALSE(record.ok()) << bad;
    if (!record) {
      EXPECT_NE(record.error().message.find("kmsg record"), std::string::npos);
    }
  }
}

TEST(MemoryKmsg, GlobalOomOnDebian61) {
  const auto kills = kills_in(fixture_lines("kmsg-oom-global-6.1.txt"));
  ASSERT_EQ(kills.size(), 1u);
  const OomKill& k = kills[0];
  EXPECT_EQ(k.pid, 594);
  EXPECT_EQ(k.comm, "rig-hog");
  EXPECT_EQ(k.total_vm_kb, 423192u);
  EXPECT_EQ(k.anon_rss_kb, 415524u);
  EXPECT_EQ(k.file_rss_kb, 0u);
  EXPECT_EQ(k.shmem_rss_kb, 0u);
  EXPECT_EQ(k.uid, 0u);
  EXPECT_EQ(k.pgtables_kb, 868);
  EXPECT_EQ(k.oom_score_adj, 0);
  EXPECT_EQ(k.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(k.task_memcg, "/system.slice/rig-hog.service");
  EXPECT_EQ(k.oom_memcg, "");
  EXPECT_FALSE(k.memcg);
  EXPECT_EQ(k.seq, 523u);
  EXPECT_EQ(k.usec, 90017949u);
  EXPECT_EQ(k.invoker, "sleep");  // the allocating task, not the victim
  EXPECT_TRUE(k.has_summary);
  EXPECT_TRUE(k.has_kill_line);
}

TEST(MemoryKmsg, MemcgOomOn618) {
  const auto kills = kills_in(fixture_lines("kmsg-oom-memcg-6.18.txt"));
  ASSERT_EQ(kills.size(), 1u);
  const OomKill& k = kills[0];
  EXPECT_EQ(k.pid, 29881);
  EXPECT_EQ(k.comm, "python3");
  EXPECT_EQ(k.total_vm_kb, 75160u);
  EXPECT_EQ(k.anon_rss_kb, 65280u);
  EXPECT_EQ(k.file_rss_kb, 6612u);
  EXPECT_EQ(k.shmem_rss_kb, 0u);
  EXPECT_EQ(k.uid, 0u);
  EXPECT_EQ(k.pgtables_kb, 184);
  EXPECT_EQ(k.oom_score_adj, 0);
  EXPECT_EQ(k.constraint, "CONSTRAINT_MEMCG");
  EXPECT_EQ(k.task_memcg, "/test.slice/llfix");
  EXPECT_EQ(k.oom_memcg, "/test.slice/llfix");
  EXPECT_TRUE(k.memcg);
  EXPECT_EQ(k.seq, 423u);
  EXPECT_EQ(k.usec, 3402139563u);
  EXPECT_EQ(k.invoker, "python3");
}

TEST(MemoryKmsg, Formats66EitherOrderAndOddComm) {
  const auto kills = kills_in(fixture_lines("kmsg-oom-formats-6.6.txt"));
  ASSERT_EQ(kills.size(), 2u);
  const OomKill& a = kills[0];  // kill line before summary
  EXPECT_EQ(a.pid, 4242);
  EXPECT_EQ(a.comm, "my (app)");
  EXPECT_EQ(a.invoker, "my (app)");
  EXPECT_EQ(a.total_vm_kb, 1048576u);
  EXPECT_EQ(a.anon_rss_kb, 900000u);
  EXPECT_EQ(a.file_rss_kb, 1200u);
  EXPECT_EQ(a.shmem_rss_kb, 64u);
  EXPECT_EQ(a.uid, 1000u);
  EXPECT_EQ(a.pgtables_kb, 2048);
  EXPECT_EQ(a.oom_score_adj, -100);
  EXPECT_EQ(a.constraint, "CONSTRAINT_NONE");
  EXPECT_EQ(a.task_memcg, "/user.slice/user-1000.slice/session-3.scope");
  EXPECT_EQ(a.seq, 901u);  // the kill line's
  EXPECT_TRUE(a.has_summary && a.has_kill_line);
  const OomKill& b = kills[1];
  EXPECT_EQ(b.pid, 777);
  EXPECT_EQ(b.comm, "node");
  EXPECT_EQ(b.uid, 33u);
  EXPECT_EQ(b.oom_score_adj, 500);
  EXPECT_EQ(b.oom_memcg, "/system.slice/web.service");
  EXPECT_TRUE(b.memcg);
  EXPECT_EQ(b.seq, 912u);
}

TEST(MemoryKmsg, InterleavedUnrelatedLinesAreIgnored) {
  auto lines = fixture_lines("kmsg-oom-global-6.1.txt");
  std::vector<std::string> mixed;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    mixed.push_back(lines[i]);
    mixed.push_back("6,9" + std::to_string(i) + ",1,-;eth0: Link is Up - Killed process (no)");
    mixed.push_back("6,8" + std::to_string(i) + ",1,-;audit: oom-kill: nothing here");
  }
  const auto kills = kills_in(mixed);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].pid, 594);
  EXPECT_TRUE(kills[0].has_summary && kills[0].has_kill_line);
}

TEST(MemoryKmsg, HalfReportsStillYieldRecords) {
  OomKillParser parser;
  auto kill_only = parse_kmsg_record(
      "3,10,100,-;Out of memory: Killed process 12 (a) total-vm:10kB, anon-rss:5kB, "
      "file-rss:1kB, shmem-rss:0kB, UID:7 pgtables:4kB oom_score_adj:3");
  ASSERT_TRUE(kill_only.ok());
  EXPECT_TRUE(parser.consume(*kill_only).empty());
  // A summary for another pid: the first kill's partner is not coming.
  auto other = parse_kmsg_record(
      "6,11,200,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"
      "mems_allowed=0,global_oom,task_memcg=/,task=b,pid=13,uid=0");
  ASSERT_TRUE(other.ok());
  auto out = parser.consume(*other);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].pid, 12);
  EXPECT_EQ(out[0].anon_rss_kb, 5u);
  EXPECT_EQ(out[0].uid, 7u);
  EXPECT_TRUE(out[0].has_kill_line);
  EXPECT_FALSE(out[0].has_summary);
  EXPECT_EQ(out[0].constraint, "");
  auto rest = parser.flush();
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->pid, 13);
  EXPECT_EQ(rest->comm, "b");
  EXPECT_EQ(rest->seq, 11u);
  EXPECT_EQ(rest->pgtables_kb, -1);
  EXPECT_FALSE(rest->has_kill_line);
  EXPECT_FALSE(parser.flush().has_value());
}

TEST(MemoryKmsg, TruncatedOomLinesAreNotKills) {
  EXPECT_FALSE(parse_oom_kill_line("Out of memory: Killed process ").has_value());
  EXPECT_FALSE(parse_oom_kill_line("Out of memory: Killed process 5").has_value());
  EXPECT_FALSE(parse_oom_kill_line("Out of memory: Killed process x (a)").has_value());
  EXPECT_FALSE(parse_oom_summary_line("oom-kill:constraint=CONSTRAINT_NONE,task=a").has_value());
  EXPECT_FALSE(parse_oom_summary_line("oom-kill:constraint=X,task=a,pid=").has_value());
  // Cut after the comm: what is there is kept, the rest stays at its defaults.
  auto cut = parse_oom_kill_line("Out of memory: Killed process 5 (a) total-vm:12");
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->pid, 5);
  EXPECT_EQ(cut->comm, "a");
  EXPECT_EQ(cut->total_vm_kb, 0u);
  EXPECT_EQ(cut->pgtables_kb, -1);
}

TEST(MemoryKmsg, VmstatOomKill) {
  EXPECT_EQ(parse_vmstat_oom_kill("nr_free_pages 1\noom_kill 42\nnuma_hit 3\n"), 42u);
  EXPECT_EQ(parse_vmstat_oom_kill("oom_kill 0"), 0u);
  EXPECT_FALSE(parse_vmstat_oom_kill("nr_free_pages 1\n").has_value());
  EXPECT_FALSE(parse_vmstat_oom_kill("oom_kill x\n").has_value());
  EXPECT_FALSE(parse_vmstat_oom_kill("xoom_kill 5\n").has_value());
  EXPECT_FALSE(parse_vmstat_oom_kill("").has_value());
}

}  // namespace
}  // namespace lifeline::memory
