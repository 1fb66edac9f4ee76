#include "doctor/live_facts.hpp"

#include <dirent.h>

#include <algorithm>
#include <memory>

#include "memory/proc_text.hpp"
#include "util/proc.hpp"

namespace lifeline::doctor {
namespace {

std::string comm_of(const std::string& proc_root, pid_t pid) {
  std::string comm = read_file_or_empty(proc_root + "/" + std::to_string(pid) + "/comm", 64);
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  return comm;
}

}  // namespace

std::vector<RunningProcess> read_running_processes(const std::string& proc_root) {
  std::vector<RunningProcess> out;
  for_each_pid(proc_root, [&](pid_t pid) {
    const std::string base = proc_root + "/" + std::to_string(pid);
    RunningProcess p;
    p.pid = pid;
    p.comm = comm_of(proc_root, pid);
    if (p.comm.empty()) return;  // gone already
    p.ppid = memory::parse_ppid(read_file_or_empty(base + "/status", 8192));
    const std::string adj = read_file_or_empty(base + "/oom_score_adj", 32);
    if (!adj.empty()) p.oom_score_adj = std::atoi(adj.c_str());
    out.push_back(std::move(p));
  });
  return out;
}

std::map<std::string, std::vector<std::string>> open_file_holders(
    const std::vector<std::string>& paths, pid_t self, const std::string& proc_root) {
  std::map<std::string, std::vector<std::string>> holders;
  if (paths.empty()) return holders;
  for_each_pid(proc_root, [&](pid_t pid) {
    if (pid == self) return;
    const std::string comm = comm_of(proc_root, pid);
    if (comm == "lifeline") return;
    const std::string fd_dir = proc_root + "/" + std::to_string(pid) + "/fd";
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(fd_dir.c_str()), &::closedir);
    if (!dir) return;               // exited, or another user's process and we are not root
    std::vector<std::string> seen;  // one entry per process, however many fds it has
    while (const dirent* entry = ::readdir(dir.get())) {  // NOLINT(concurrency-mt-unsafe)
      const std::string target = read_link(fd_dir + "/" + entry->d_name);
      if (target.empty() || target[0] != '/') continue;
      if (std::find(paths.begin(), paths.end(), target) == paths.end()) continue;
      if (std::find(seen.begin(), seen.end(), target) != seen.end()) continue;
      seen.push_back(target);
      holders[target].push_back("PID " + std::to_string(pid) + " (" + comm + ")");
    }
  });
  return holders;
}

}  // namespace lifeline::doctor
