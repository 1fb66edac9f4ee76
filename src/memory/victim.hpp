// Who the memory guard may kill, and whom it picks. Pure: the process table comes in as
// values (process_table.hpp reads it from /proc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::memory {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;    // /proc/PID/comm (at most 15 bytes)
  std::string exe;     // /proc/PID/exe target; "" for kernel threads or when unreadable
  std::string cgroup;  // the memory cgroup path (v1 "memory" controller, else the v2 path)
  std::uint64_t rss_kb = 0;
  std::uint64_t anon_kb = 0;
  int oom_score_adj = 0;
  double growth_kib_per_s = 0;  // since the previous scan; 0 on the first
  bool kernel_thread = false;
};

// "x.service", "x.scope", "x.slice": a protect entry (or a config value) naming a unit,
// matched against a process's cgroup rather than its name or executable.
bool names_a_unit(std::string_view entry);

struct ProtectRules {
  pid_t self = 0;                  // lifeline
  std::vector<std::string> names;  // comm
  std::vector<std::string> paths;  // exe
  std::vector<std::string> units;  // unit names, matched against cgroup path components
  std::string scope_cgroup;        // "" = anyone; else only processes in this cgroup
};

// Built-in protection plus the configured list. `why` says which rule matched.
struct Protection {
  bool is_protected = false;
  std::string why;
};
Protection protection(const ProcessInfo& process, const ProtectRules& rules);

// True when `unit` is a whole component of `cgroup` (".../ssh.service" or
// ".../ssh.service/..."): the process runs in that unit.
bool cgroup_has_unit(std::string_view cgroup, std::string_view unit);

// True when `cgroup` is `parent` or inside it ("/a/b" is inside "/a", "/ab" is not).
bool cgroup_within(std::string_view cgroup, std::string_view parent);

enum class VictimOrder : std::uint8_t { largest, fastest };

struct VictimChoice {
  ProcessInfo process;
  std::string reason;  // "largest resident set: 812 MiB" — recorded before the kill
};

// The order choose_victim prefers: true when `a` is the better victim than `b` (protection
// aside). Callers that fill in details lazily sort by it and ask in chunks.
bool victim_before(const ProcessInfo& a, const ProcessInfo& b, VictimOrder order);

// The victim among unprotected processes (and within rules.scope_cgroup): the largest
// resident set, or the fastest growing (ties to the larger); nullopt when none qualifies.
// Equal keys go to the higher PID, the younger process, so the choice is deterministic.
std::optional<VictimChoice> choose_victim(std::span<const ProcessInfo> processes,
                                          const ProtectRules& rules, VictimOrder order);

// The `n` largest resident sets, largest first (for the snapshot a kill records).
std::vector<ProcessInfo> top_by_rss(std::span<const ProcessInfo> processes, std::size_t n);

}  // namespace lifeline::memory
