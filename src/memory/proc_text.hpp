// Parsers for the small /proc and cgroup files the memory guard samples. Pure: callers read
// the files and pass the text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lifeline::memory {

// The counters of /proc/vmstat the guard uses. Refaults: pages read back soon after they
// were evicted (thrashing); split into anon and file on 5.9+, one counter before.
struct VmStat {
  std::uint64_t refaults = 0;
  std::uint64_t oom_kill = 0;
  bool has_oom_kill = false;  // 4.13+
};
VmStat parse_vmstat(std::string_view text);

// The memory cgroup of a process from /proc/PID/cgroup: the v1 line whose controller list
// names "memory", else the v2 line ("0::/path"); "" when neither is present.
std::string memory_cgroup_of(std::string_view proc_cgroup_text);

// A cgroup memory limit: v2 memory.max ("max" = none) or v1 memory.limit_in_bytes (a value
// near 2^63 = none). nullopt: no limit, or unreadable text.
std::optional<std::uint64_t> parse_memory_limit(std::string_view text);

// A decimal counter file such as memory.current or memory.usage_in_bytes.
std::optional<std::uint64_t> parse_counter(std::string_view text);

// The inactive file cache in a cgroup's memory.stat ("inactive_file" in v2,
// "total_inactive_file" in v1, which includes the children): reclaimable at once, so it
// does not count against a watch's headroom. 0 when absent.
std::uint64_t parse_inactive_file(std::string_view memory_stat_text);

// The "PPid:" field of /proc/PID/status; 0 when absent.
int parse_ppid(std::string_view status_text);

}  // namespace lifeline::memory
