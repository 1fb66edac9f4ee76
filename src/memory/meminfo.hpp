// Memory counters from /proc/meminfo, /proc/PID/status and a cgroup v2 memory.stat.
// Pure parsing of text the caller has read. Not wired into the agent yet.
#pragma once

#include <cstdint>
#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline::memory {

// /proc/meminfo, in kB. MemAvailable (3.14+) is the kernel's estimate of memory that can be
// allocated without swapping: the early signal the memory guard watches.
struct MemInfo {
  std::uint64_t mem_total_kb = 0;
  std::uint64_t mem_available_kb = 0;
  std::uint64_t swap_total_kb = 0;
  std::uint64_t swap_free_kb = 0;
};
// All four fields are required.
Expected<MemInfo> parse_meminfo(std::string_view text);

// The resident set of one process from /proc/PID/status, in kB (RssAnon/RssFile/RssShmem
// since 4.5). Kernel threads have no Vm* lines: that is an error here.
struct ProcMemory {
  std::uint64_t vm_rss_kb = 0;
  std::uint64_t rss_anon_kb = 0;
  std::uint64_t rss_file_kb = 0;
  std::uint64_t rss_shmem_kb = 0;
};
Expected<ProcMemory> parse_proc_status_memory(std::string_view text);

// A cgroup v2 memory.stat, in bytes (the file's own unit).
struct CgroupMemoryStat {
  std::uint64_t anon_bytes = 0;
  std::uint64_t file_bytes = 0;
};
Expected<CgroupMemoryStat> parse_cgroup_memory_stat(std::string_view text);

}  // namespace lifeline::memory
