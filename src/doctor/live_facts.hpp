// The I/O of doctor's live checks: running processes and who holds a device open, read
// from /proc. Unreadable entries (a process that just exited, another user's fds when not
// root) are skipped: the checks work from what could be read.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "doctor/live_checks.hpp"

namespace lifeline::doctor {

// Every process below `proc_root`: PID, parent, name, oom_score_adj.
[[nodiscard]] std::vector<RunningProcess> read_running_processes(
    const std::string& proc_root = "/proc");

// For each of `paths` (canonical device paths, "/dev/ttyS0"): the processes holding it open,
// as "PID 612 (agetty)". lifeline itself is left out: `self`, and any process named
// "lifeline" (the agent, when a person runs doctor beside it).
[[nodiscard]] std::map<std::string, std::vector<std::string>> open_file_holders(
    const std::vector<std::string>& paths, pid_t self, const std::string& proc_root = "/proc");

}  // namespace lifeline::doctor
