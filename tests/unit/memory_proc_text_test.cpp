// /proc and cgroup file parsers of the memory guard, on text copied from real machines.
#include <gtest/gtest.h>

#include "memory/proc_text.hpp"

namespace lifeline::memory {
namespace {

TEST(MemoryProcText, VmstatSumsRefaultsAndReadsOomKill) {
  // 6.x splits refaults into anon and file.
  auto v = parse_vmstat(
      "nr_free_pages 123\nworkingset_refault_anon 7\nworkingset_refault_file "
      "2058596\noom_kill 3\npgfault 99\n");
  EXPECT_EQ(v.refaults, 2058603U);
  EXPECT_TRUE(v.has_oom_kill);
  EXPECT_EQ(v.oom_kill, 3U);
  // Before 5.9: one counter, and no oom_kill before 4.13.
  auto old = parse_vmstat("workingset_refault 42\n");
  EXPECT_EQ(old.refaults, 42U);
  EXPECT_FALSE(old.has_oom_kill);
  EXPECT_EQ(parse_vmstat("garbage\noom_kill x\n").has_oom_kill, false);
}

TEST(MemoryProcText, MemoryCgroupPrefersTheV1MemoryController) {
  // A hybrid host: v1 controllers and an empty v2 hierarchy.
  EXPECT_EQ(memory_cgroup_of("9:name=systemd:/\n8:pids:/\n4:memory:/process_api/36a6\n3:cpuset:/\n"
                             "0::/\n"),
            "/process_api/36a6");
  EXPECT_EQ(memory_cgroup_of("5:cpu,memory:/a.slice\n0::/b\n"), "/a.slice");
  // Pure v2 (bookworm's default).
  EXPECT_EQ(memory_cgroup_of("0::/system.slice/ssh.service\n"), "/system.slice/ssh.service");
  EXPECT_EQ(memory_cgroup_of(""), "");
  EXPECT_EQ(memory_cgroup_of("junk without colons\n"), "");
}

TEST(MemoryProcText, LimitsUnderstandBothVersionsAndNoLimit) {
  EXPECT_EQ(parse_memory_limit("268435456\n"), 268435456U);
  EXPECT_FALSE(parse_memory_limit("max\n"));
  EXPECT_FALSE(parse_memory_limit("9223372036854771712\n"));  // v1 unlimited
  EXPECT_FALSE(parse_memory_limit("12abc"));
  EXPECT_FALSE(parse_memory_limit(""));
}

TEST(MemoryProcText, InactiveFileFromEitherVersion) {
  // v1 has the cgroup's own and the hierarchy's totals; the total counts the children.
  EXPECT_EQ(parse_inactive_file("cache 100\ninactive_file 40\ntotal_inactive_file 60\n"), 60U);
  EXPECT_EQ(parse_inactive_file("anon 5\nfile 10\ninactive_file 7\nactive_file 3\n"), 7U);
  EXPECT_EQ(parse_inactive_file("anon 5\n"), 0U);
}

TEST(MemoryProcText, CountersAndPpid) {
  EXPECT_EQ(parse_counter("4096\n"), 4096U);
  EXPECT_FALSE(parse_counter("-1"));
  EXPECT_EQ(parse_ppid("Name:\tbash\nState:\tS\nPPid:\t4242\nTracerPid:\t0\n"), 4242);
  EXPECT_EQ(parse_ppid("Name:\tx\n"), 0);
}

}  // namespace
}  // namespace lifeline::memory
