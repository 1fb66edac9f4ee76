// Whom the memory guard may kill and whom it picks.
#include <gtest/gtest.h>

#include <vector>

#include "memory/victim.hpp"

namespace lifeline::memory {
namespace {

ProcessInfo proc(pid_t pid, std::string comm, std::uint64_t rss_mib,
                 std::string cgroup = "/user.slice", double growth = 0) {
  ProcessInfo p;
  p.pid = pid;
  p.comm = std::move(comm);
  p.exe = "/usr/bin/" + p.comm.str();
  p.cgroup = std::move(cgroup);
  p.rss_kb = rss_mib * 1024;
  p.growth_kib_per_s = growth;
  return p;
}

TEST(MemoryVictim, LargestUnprotectedIsChosen) {
  std::vector<ProcessInfo> table{proc(10, "app", 300), proc(11, "hog", 800), proc(12, "db", 500)};
  auto v = choose_victim(table, ProtectRules{}, VictimOrder::largest);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->process.pid, 11);
  EXPECT_EQ(v->reason, "largest resident set: 800 MiB");
}

TEST(MemoryVictim, BuiltinProtectionsHoldEvenWhenLargest) {
  ProcessInfo kthread = proc(2, "kswapd0", 0);
  kthread.kernel_thread = true;
  kthread.rss_kb = 900 * 1024;
  ProcessInfo never = proc(30, "robotd", 950);
  never.oom_score_adj = -1000;
  std::vector<ProcessInfo> table{proc(1, "init", 999),
                                 proc(7, "lifeline", 998),
                                 proc(8, "sshd", 997),
                                 proc(9, "systemd-journal", 996),
                                 proc(20, "dbus-daemon", 995),
                                 kthread,
                                 never,
                                 proc(40, "hog", 10)};
  ProtectRules rules;
  rules.self = 7;
  auto v = choose_victim(table, rules, VictimOrder::largest);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->process.pid, 40);
  EXPECT_EQ(protection(table[0], rules).text(), "PID 1");
  EXPECT_EQ(protection(table[1], rules).text(), "lifeline itself");
  EXPECT_EQ(protection(table[2], rules).text(), "built-in: sshd");
  EXPECT_EQ(protection(never, rules).text(), "oom_score_adj -1000");
}

TEST(MemoryVictim, ConfiguredNamesPathsAndUnitsAreProtected) {
  std::vector<ProcessInfo> table{
      proc(10, "camera", 900),
      proc(11, "mediamtx", 800, "/system.slice/mediamtx.service"),
      proc(12, "tool", 700),
      proc(13, "worker", 600, "/system.slice/mediamtx.service.d"),
  };
  ProtectRules rules;
  rules.names = {"camera"};
  rules.paths = {"/usr/bin/tool"};
  rules.units = {"mediamtx.service"};
  auto v = choose_victim(table, rules, VictimOrder::largest);
  ASSERT_TRUE(v);
  // "mediamtx.service.d" is another name, not the protected unit.
  EXPECT_EQ(v->process.pid, 13);
  EXPECT_EQ(protection(table[1], rules).text(), "protected unit mediamtx.service");
}

TEST(MemoryVictim, ScopeLimitsTheChoiceToACgroup) {
  std::vector<ProcessInfo> table{proc(10, "browser", 900, "/user.slice"),
                                 proc(11, "hog", 100, "/lifeline-test/hog"),
                                 proc(12, "other", 800, "/lifeline-testx")};
  ProtectRules rules;
  rules.scope_cgroup = "/lifeline-test";
  auto v = choose_victim(table, rules, VictimOrder::largest);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->process.pid, 11);
  EXPECT_EQ(protection(table[0], rules).text(), "outside /lifeline-test");
}

TEST(MemoryVictim, FastestGrowingWinsInFastestOrder) {
  std::vector<ProcessInfo> table{proc(10, "big", 900, "/a", 1.0), proc(11, "leak", 200, "/a", 5000),
                                 proc(12, "steady", 300, "/a", 0)};
  auto v = choose_victim(table, ProtectRules{}, VictimOrder::fastest);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->process.pid, 11);
  EXPECT_EQ(v->reason, "fastest growing: 5000 KiB/s, 200 MiB resident");
}

TEST(MemoryVictim, TiesGoToTheYoungerProcess) {
  std::vector<ProcessInfo> table{proc(10, "a", 100), proc(30, "b", 100), proc(20, "c", 100)};
  EXPECT_EQ(choose_victim(table, ProtectRules{}, VictimOrder::largest)->process.pid, 30);
}

TEST(MemoryVictim, NobodyQualifies) {
  std::vector<ProcessInfo> table{proc(1, "init", 10), proc(8, "sshd", 20)};
  EXPECT_FALSE(choose_victim(table, ProtectRules{}, VictimOrder::largest));
  EXPECT_FALSE(choose_victim({}, ProtectRules{}, VictimOrder::largest));
}

TEST(MemoryVictim, CgroupWithinMatchesWholeComponents) {
  EXPECT_TRUE(cgroup_within("/a/b", "/a"));
  EXPECT_TRUE(cgroup_within("/a", "/a/"));
  EXPECT_FALSE(cgroup_within("/ab", "/a"));
  EXPECT_TRUE(cgroup_within("/anything", "/"));
}

TEST(MemoryVictim, TopByRssIsLargestFirstAndBounded) {
  std::vector<ProcessInfo> table{proc(1, "a", 1), proc(2, "b", 5), proc(3, "c", 3),
                                 proc(4, "d", 4)};
  std::vector<std::uint32_t> order(table.size());
  const std::span<const ProcessInfo> processes(table);
  ASSERT_EQ(top_by_rss(processes, std::span(order), 3), 3u);
  EXPECT_EQ(table[order[0]].pid, 2);
  EXPECT_EQ(table[order[1]].pid, 4);
  EXPECT_EQ(table[order[2]].pid, 3);
  EXPECT_EQ(top_by_rss(processes, std::span(order), 10), 4u);
}

}  // namespace
}  // namespace lifeline::memory
