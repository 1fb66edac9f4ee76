// Who the memory guard may kill, and whom it picks. Pure: the process table comes in as
// values (process_table.hpp reads it from /proc).
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/fixed_string.hpp"

namespace lifeline::memory {

// Text sizes of a process's description. Fixed, so that describing the processes a kill
// chooses among never allocates; a longer exe or cgroup path is cut, and a process whose
// path was cut is never a victim (its protection cannot be checked).
inline constexpr std::size_t kCommBytes = 15;  // TASK_COMM_LEN less its NUL
inline constexpr std::size_t kExeBytes = 256;
inline constexpr std::size_t kCgroupBytes = 384;

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  FixedString<kCommBytes> comm;  // /proc/PID/comm
  FixedString<kExeBytes> exe;    // /proc/PID/exe target; "" for kernel threads or when unreadable
  FixedString<kCgroupBytes> cgroup;  // the memory cgroup path (v1 "memory" controller, else v2)
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
  // "" = anyone; else only processes in this cgroup. A view: the rules are built once and
  // pointed at a domain's cgroup for each choice, which must not allocate.
  std::string_view scope_cgroup;
};

// Built-in protection plus the configured list. `why` says which rule matched and
// `what` the entry it matched ("protected name" "backup"); both point at constants or at
// the rules, so asking allocates nothing.
struct Protection {
  bool is_protected = false;
  std::string_view why;
  std::string_view what;
  [[nodiscard]] std::string text() const {
    return what.empty() ? std::string(why) : std::string(why) + " " + std::string(what);
  }
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
  FixedString<96> reason;  // "largest resident set: 812 MiB" — recorded before the kill
};

// The order choose_victim prefers: true when `a` is the better victim than `b` (protection
// aside). Callers that fill in details lazily sort by it and ask in chunks. For anything
// with pid, rss_kb and growth_kib_per_s (a ProcessInfo, a scan's row).
template <typename Process>
bool victim_before(const Process& a, const Process& b, VictimOrder order) {
  if (order == VictimOrder::fastest && a.growth_kib_per_s != b.growth_kib_per_s) {
    return a.growth_kib_per_s > b.growth_kib_per_s;
  }
  if (a.rss_kb != b.rss_kb) return a.rss_kb > b.rss_kb;
  return a.pid > b.pid;
}

// The victim among unprotected processes (and within rules.scope_cgroup): the largest
// resident set, or the fastest growing (ties to the larger); nullopt when none qualifies.
// Equal keys go to the higher PID, the younger process, so the choice is deterministic.
std::optional<VictimChoice> choose_victim(std::span<const ProcessInfo> processes,
                                          const ProtectRules& rules, VictimOrder order);

// The `n` largest resident sets of `processes` (a snapshot's lines), largest first, equal
// sizes by lower PID: their indexes go to the front of `order` (at least processes.size()
// long), and their count is returned. Allocates nothing.
template <typename Process>
std::size_t top_by_rss(std::span<const Process> processes, std::span<std::uint32_t> order,
                       std::size_t n) {
  const auto sorted = order.first(processes.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) sorted[i] = static_cast<std::uint32_t>(i);
  const std::size_t keep = std::min(n, sorted.size());
  std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(keep),
                    sorted.end(), [&](std::uint32_t a, std::uint32_t b) {
                      const Process& x = processes[a];
                      const Process& y = processes[b];
                      return x.rss_kb != y.rss_kb ? x.rss_kb > y.rss_kb : x.pid < y.pid;
                    });
  return keep;
}

}  // namespace lifeline::memory
