#include "doctor/live_facts.hpp"

#include "memory/proc_text.hpp"
#include "memory/process_scan.hpp"
#include "util/proc.hpp"

namespace lifeline::doctor {

std::vector<RunningProcess> read_running_processes() {
  std::vector<RunningProcess> out;
  for_each_pid("/proc", [&](pid_t pid) {
    RunningProcess p;
    p.pid = pid;
    p.comm = process_comm("/proc", pid);
    if (p.comm.empty()) return;  // gone already
    p.ppid =
        memory::parse_ppid(read_file_or_empty("/proc/" + std::to_string(pid) + "/status", 8192));
    p.oom_score_adj = memory::read_oom_score_adj(pid);
    out.push_back(std::move(p));
  });
  return out;
}

}  // namespace lifeline::doctor
