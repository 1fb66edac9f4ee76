// The I/O of doctor's live checks: the running processes, read from /proc. A process that
// exits while it is read is skipped.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "doctor/live_checks.hpp"

namespace lifeline::doctor {

// Every process in /proc: PID, parent, name, oom_score_adj.
[[nodiscard]] std::vector<RunningProcess> read_running_processes();

}  // namespace lifeline::doctor
