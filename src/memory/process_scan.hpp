// Reads the process table from /proc into ProcessInfo values for the victim choice and the
// top-RSS snapshot. The only place the memory guard walks /proc/PID; it runs when the
// ladder is at warn or above, or when a snapshot is asked for, never while memory is
// plentiful (idle costs nothing).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lifeline/expected.hpp"
#include "lifeline/hal/clock.hpp"
#include "memory/victim.hpp"

namespace lifeline::memory {

class ProcessScanner {
 public:
  explicit ProcessScanner(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}
  // Every process, cheaply: PID, comm and resident set (statm) only, so a box with
  // hundreds of processes is scanned in a few milliseconds. Growth rates are against the
  // previous scan of the same PID. Fill in the rest with fill_details() where needed.
  std::vector<ProcessInfo> scan(hal::MonoTime now);
  // The processes of one cgroup directory (cgroup.procs), with details.
  std::vector<ProcessInfo> scan_cgroup(const std::string& cgroup_dir, hal::MonoTime now);
  // exe, cgroup, oom_score_adj, anon RSS and parent; false when the process is gone.
  bool fill_details(ProcessInfo& process) const;
  // One process with details; nullopt when it is gone.
  std::optional<ProcessInfo> read(pid_t pid) const;
  // PIDs whose comm is `name` (cheap: reads only comm).
  [[nodiscard]] std::vector<pid_t> find_by_comm(std::string_view name) const;
  // PIDs running `program`: an absolute path is matched against /proc/PID/exe (also when
  // the file was replaced since, " (deleted)"), anything else against comm.
  [[nodiscard]] std::vector<pid_t> find_program(std::string_view program) const;

 private:
  struct Previous {
    hal::MonoTime time;
    std::uint64_t rss_kb = 0;
  };
  std::optional<ProcessInfo> read_cheap(pid_t pid) const;
  void note_growth(ProcessInfo& p, hal::MonoTime now,
                   std::unordered_map<pid_t, Previous>& seen) const;

  std::string proc_root_;
  std::unordered_map<pid_t, Previous> previous_;
};

// Writes `value` to /proc/PID/oom_score_adj; an Error names the PID and errno.
Status set_oom_score_adj(pid_t pid, int value);
// Reads /proc/PID/oom_score_adj; nullopt when unreadable.
std::optional<int> read_oom_score_adj(pid_t pid);

}  // namespace lifeline::memory
