// /proc/meminfo, /proc/PID/status and cgroup v2 memory.stat parsing.
#include <gtest/gtest.h>

#include <string>

#include "memory/meminfo.hpp"

namespace lifeline::memory {
namespace {

constexpr const char* kMeminfo =
    "MemTotal:        7969104 kB\n"
    "MemFree:         1572864 kB\n"
    "MemAvailable:    5242880 kB\n"
    "Buffers:           12345 kB\n"
    "SwapCached:            0 kB\n"
    "SwapTotal:             0 kB\n"
    "SwapFree:              0 kB\n"
    "HugePages_Total:       0\n"
    "Hugepagesize:       2048 kB\n";

TEST(MemoryMeminfo, ParsesMeminfo) {
  auto info = parse_meminfo(kMeminfo);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->mem_total_kb, 7969104u);
  EXPECT_EQ(info->mem_available_kb, 5242880u);
  EXPECT_EQ(info->swap_total_kb, 0u);
  EXPECT_EQ(info->swap_free_kb, 0u);
}

TEST(MemoryMeminfo, MeminfoErrorsNameTheField) {
  auto missing = parse_meminfo("MemTotal: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("MemAvailable"), std::string::npos);
  auto garbage =
      parse_meminfo("MemTotal: x kB\nMemAvailable: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("MemTotal"), std::string::npos);
  EXPECT_FALSE(
      parse_meminfo("MemTotal: 5\nMemAvailable: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB").ok());
  EXPECT_FALSE(parse_meminfo("").ok());
  EXPECT_FALSE(parse_meminfo("MemTotal: 99999999999999999999999 kB\nMemAvailable: 1 kB\n"
                             "SwapTotal: 0 kB\nSwapFree: 0 kB")
                   .ok());
}

TEST(MemoryMeminfo, ParsesProcStatus) {
  auto mem = parse_proc_status_memory(
      "Name:\twolf\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 6000000 kB\n"
      "VmRSS:\t  5734400 kB\nRssAnon:\t  5700000 kB\nRssFile:\t   34000 kB\n"
      "RssShmem:\t     400 kB\nThreads:\t42\n");
  ASSERT_TRUE(mem.ok()) << mem.error().message;
  EXPECT_EQ(mem->vm_rss_kb, 5734400u);
  EXPECT_EQ(mem->rss_anon_kb, 5700000u);
  EXPECT_EQ(mem->rss_file_kb, 34000u);
  EXPECT_EQ(mem->rss_shmem_kb, 400u);
}

TEST(MemoryMeminfo, KernelThreadStatusHasNoRss) {
  auto mem = parse_proc_status_memory("Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n");
  ASSERT_FALSE(mem.ok());
  EXPECT_NE(mem.error().message.find("VmRSS"), std::string::npos);
}

TEST(MemoryMeminfo, ParsesCgroupMemoryStat) {
  auto stat = parse_cgroup_memory_stat(
      "anon 66859008\nfile 4096\nkernel 229376\nanon_thp 0\nfile_mapped 0\n"
      "inactive_anon 66830336\n");
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->anon_bytes, 66859008u);
  EXPECT_EQ(stat->file_bytes, 4096u);
}

TEST(MemoryMeminfo, CgroupMemoryStatErrors) {
  EXPECT_FALSE(parse_cgroup_memory_stat("anon_thp 5\nfile 1\n").ok());  // prefix is not anon
  EXPECT_FALSE(parse_cgroup_memory_stat("anon -1\nfile 1\n").ok());
  EXPECT_FALSE(parse_cgroup_memory_stat("anon 1 kB\nfile 1\n").ok());
  EXPECT_FALSE(parse_cgroup_memory_stat("").ok());
}

}  // namespace
}  // namespace lifeline::memory
