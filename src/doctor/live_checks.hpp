// The live part of `lifeline doctor`: what is running now, not what the files say will
// run at the next boot. A daemon started by hand, or enabled files edited after the last
// boot, only show here. Facts are gathered by live_facts.hpp; these checks are pure.
// Ids: docs/doctor.md.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "doctor/finding.hpp"

namespace lifeline::doctor {

struct RunningProcess {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;                  // /proc/PID/stat's name: "earlyoom", "sshd"
  std::optional<int> oom_score_adj;  // nullopt when unreadable
  // Kernel threads are named too ("watchdogd" is the watchdog core's kthread worker).
  [[nodiscard]] bool kernel_thread() const { return pid == 2 || ppid == 2; }
};

// oom.other-daemon-running / oom.none-running: earlyoom, nohang (warning) or
// systemd-oomd (info) running beside lifeline's memory guard.
[[nodiscard]] std::vector<Finding> check_running_oom_daemons(
    const std::vector<RunningProcess>& processes);

// watchdog.daemon-running / watchdog.none-running: a watchdog daemon process (watchdog,
// watchdogd) outside the kernel.
[[nodiscard]] std::vector<Finding> check_running_watchdog_daemons(
    const std::vector<RunningProcess>& processes);

// ssh.running-unprotected / ssh.running-protected / ssh.not-running: the oom_score_adj of
// sshd's listener (an sshd whose parent is not an sshd; sessions' sshd processes are
// reset to the default by sshd itself and are not what keeps the robot reachable).
[[nodiscard]] std::vector<Finding> check_running_ssh(const std::vector<RunningProcess>& processes);

// All three, in this order.
[[nodiscard]] std::vector<Finding> run_live_process_checks(
    const std::vector<RunningProcess>& processes);

}  // namespace lifeline::doctor
