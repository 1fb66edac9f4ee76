#include "doctor/live_checks.hpp"

#include <algorithm>
#include <map>

#include "doctor/checks.hpp"

namespace lifeline::doctor {
namespace {

// "earlyoom (PID 812)", for the processes named `comm`; user space only.
std::vector<std::string> running_named(const std::vector<RunningProcess>& processes,
                                       const std::string& comm) {
  std::vector<std::string> out;
  for (const RunningProcess& p : processes) {
    if (!p.kernel_thread() && p.comm == comm) out.push_back("PID " + std::to_string(p.pid));
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

std::vector<Finding> check_running_oom_daemons(const std::vector<RunningProcess>& processes) {
  std::vector<Finding> findings;
  for (const std::string name : {"earlyoom", "nohang", "systemd-oomd"}) {
    const auto pids = running_named(processes, name);
    if (pids.empty()) continue;
    const bool oomd = name == "systemd-oomd";
    findings.push_back(
        {"oom.other-daemon-running", name + " is running beside lifeline's memory guard",
         name + " running: " + joined(pids),
         oomd ? "systemd-oomd kills only cgroups that opt in (ManagedOOM*=); check the app's "
                "slice does not, or it and lifeline both act on the same pressure."
              : "Two daemons that kill on memory pressure race each other: the victim is whatever "
                "the other picked, and lifeline's black box has no reason for it.",
         "", "systemctl disable --now " + name + ".service   # or end it if it was started by hand",
         oomd ? FindingSeverity::info : FindingSeverity::warning});
  }
  if (findings.empty()) {
    findings.push_back(ok_finding("oom.none-running", "no other OOM daemon is running",
                                  "no earlyoom, nohang or systemd-oomd process"));
  }
  return findings;
}

std::vector<Finding> check_running_watchdog_daemons(const std::vector<RunningProcess>& processes) {
  std::vector<Finding> findings;
  for (const std::string name : {"watchdog", "watchdogd"}) {
    const auto pids = running_named(processes, name);
    if (pids.empty()) continue;
    findings.push_back({"watchdog.daemon-running", name + " is running",
                        name + " running: " + joined(pids),
                        "A watchdog daemon holds /dev/watchdog or will race lifeline for it: "
                        "whoever opens it first wins, and lifeline's hardware reset is lost.",
                        "", "systemctl mask --now " + name + ".service", FindingSeverity::warning});
  }
  if (findings.empty()) {
    findings.push_back(ok_finding("watchdog.none-running", "no watchdog daemon is running"));
  }
  return findings;
}

std::vector<Finding> check_running_ssh(const std::vector<RunningProcess>& processes) {
  std::map<pid_t, const RunningProcess*> by_pid;
  for (const RunningProcess& p : processes) by_pid[p.pid] = &p;
  std::vector<const RunningProcess*> listeners;
  for (const RunningProcess& p : processes) {
    if (p.kernel_thread() || p.comm != "sshd") continue;
    const auto parent = by_pid.find(p.ppid);
    if (parent == by_pid.end() || parent->second->comm != "sshd") listeners.push_back(&p);
  }
  if (listeners.empty()) {
    return {{"ssh.not-running", "no sshd is running", "no sshd process", "", "", "",
             FindingSeverity::info}};
  }
  std::vector<std::string> unprotected;
  std::string seen;
  for (const RunningProcess* p : listeners) {
    const std::string adj = p->oom_score_adj ? std::to_string(*p->oom_score_adj) : "unreadable";
    seen += (seen.empty() ? "" : ", ") +
            ("sshd PID " + std::to_string(p->pid) + ": oom_score_adj " + adj);
    if (!p->oom_score_adj || *p->oom_score_adj > -500) unprotected.push_back(adj);
  }
  if (unprotected.empty()) {
    return {ok_finding("ssh.running-protected", "the running sshd is OOM-protected", seen)};
  }
  return {{"ssh.running-unprotected", "the running sshd can be chosen by the OOM killer", seen,
           "Whatever the unit file says, this sshd runs with a score the OOM killer may pick: the "
           "unit was changed without a restart, or nothing protects it. On 2025-10-23 SSH went "
           "down and the owner needed physical access.",
           kIncidentPort5000,
           "add OOMScoreAdjust=-900 to ssh.service (see ssh.no-oom-protection), then "
           "systemctl restart ssh",
           FindingSeverity::warning}};
}

std::vector<Finding> run_live_process_checks(const std::vector<RunningProcess>& processes) {
  std::vector<Finding> all;
  for (auto&& part : {check_running_oom_daemons(processes),
                      check_running_watchdog_daemons(processes), check_running_ssh(processes)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace lifeline::doctor
