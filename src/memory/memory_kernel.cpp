// What the memory guard hears from outside its own ladder: the kernel's OOM kills (from
// /dev/kmsg, cross-checked against /proc/vmstat) and the SSH probe.
#include "memory/memory_service.hpp"

namespace lifeline::memory {

namespace {

constexpr std::chrono::minutes kOomFaultShown{10};

}  // namespace

void MemoryService::on_oom_kill(const OomKill& kill) {
  ++kernel_kills_logged_;
  const std::string scope = kill.memcg ? "memory cgroup " + kill.oom_memcg : "the whole box";
  std::string message =
      "kernel OOM killer killed " + std::to_string(kill.pid) + " (" + kill.comm + ") for " + scope;
  if (kill.has_kill_line) {
    message += ", anon-rss " + std::to_string(kill.anon_rss_kb) + " kB";
  }
  sink_.record(Event{EventKind::oom_kill_seen,
                     Fault::kernel_oom_kill,
                     Severity::error,
                     message,
                     {{"pid", std::to_string(kill.pid)},
                      {"comm", kill.comm},
                      {"anon_rss_kb", std::to_string(kill.anon_rss_kb)},
                      {"file_rss_kb", std::to_string(kill.file_rss_kb)},
                      {"shmem_rss_kb", std::to_string(kill.shmem_rss_kb)},
                      {"oom_score_adj", std::to_string(kill.oom_score_adj)},
                      {"constraint", kill.constraint},
                      {"task_memcg", kill.task_memcg},
                      {"oom_memcg", kill.oom_memcg},
                      {"invoker", kill.invoker},
                      {"kernel_seq", std::to_string(kill.seq)}}});
  faults_.raise(Fault::kernel_oom_kill, message);
  oom_fault_timer_.arm_after(kOomFaultShown);
  last_kernel_kill_ = {{"pid", kill.pid},
                       {"comm", kill.comm},
                       {"anon_rss_kb", kill.anon_rss_kb},
                       {"constraint", kill.constraint},
                       {"task_memcg", kill.task_memcg},
                       {"memcg", kill.memcg}};
}

void MemoryService::check_vmstat_kills(std::uint64_t kernel_total) {
  if (!vmstat_kills_at_start_) {
    vmstat_kills_at_start_ = kernel_total;
    return;
  }
  vmstat_kills_ = kernel_total - std::min(kernel_total, *vmstat_kills_at_start_);
  // The log can lose lines (rate limits, a full ring); the counter cannot. Whatever the
  // counter has and the log never showed is recorded as a kill without details. Checked
  // only when the kmsg reader is idle, so lines still in flight are not counted twice.
  if (!kmsg_ || config_.kmsg_backlog) return;
  const std::uint64_t accounted = kernel_kills_logged_ + kernel_kills_unlogged_;
  if (vmstat_kills_ <= accounted || killer_.in_progress()) return;
  if (!unlogged_pending_) {
    unlogged_pending_ = true;  // look again at the next sample: the lines may be on the way
    return;
  }
  unlogged_pending_ = false;
  const std::uint64_t missing = vmstat_kills_ - accounted;
  kernel_kills_unlogged_ += missing;
  const std::string message = std::to_string(missing) +
                              " kernel OOM kill(s) counted in /proc/vmstat but not seen in the "
                              "kernel log (victim unknown)";
  sink_.record(Event{EventKind::oom_kill_seen,
                     Fault::kernel_oom_kill,
                     Severity::error,
                     message,
                     {{"source", "vmstat"}, {"count", std::to_string(missing)}}});
  faults_.raise(Fault::kernel_oom_kill, message);
  oom_fault_timer_.arm_after(kOomFaultShown);
}

void MemoryService::on_ssh_result(const SshProbeResult& result) {
  const bool changed = !ssh_seen_ || result.ok != ssh_last_.ok;
  ssh_seen_ = true;
  ssh_last_ = result;
  const SshDecision d = ssh_policy_.on_result(loop_.now(), result);
  if (changed) {
    sink_.record(
        Event{EventKind::ssh_probe_changed,
              std::nullopt,
              result.ok ? Severity::info : Severity::warning,
              std::string(result.ok ? "sshd answers: " : "sshd probe failed: ") + result.detail,
              {{"address", config_.ssh.address + ":" + std::to_string(config_.ssh.port)},
               {"ok", result.ok ? "true" : "false"}}});
  }
  if (d.clear) faults_.clear(Fault::ssh_unreachable, "sshd answers again: " + result.detail);
  if (d.raise) {
    faults_.raise(Fault::ssh_unreachable, std::to_string(ssh_policy_.consecutive_failures()) +
                                              " probes failed; last: " + result.detail);
  }
  if (!d.restart) return;
  if (config_.dry_run) {
    sink_.record(Event{EventKind::unit_job,
                       std::nullopt,
                       Severity::warning,
                       "dry run: would restart " + config_.ssh.unit,
                       {{"unit", config_.ssh.unit}}});
    return;
  }
  ++ssh_restarts_;
  const std::string unit = config_.ssh.unit;
  auto sent = jobs_.request(UnitVerb::restart, unit, [this, unit](const UnitJobResult& r) {
    sink_.record(Event{EventKind::unit_job,
                       std::nullopt,
                       r.accepted ? Severity::warning : Severity::error,
                       "sshd unreachable: " + r.detail,
                       {{"unit", unit}, {"accepted", r.accepted ? "true" : "false"}}});
  });
  if (!sent) {
    sink_.record(Event{EventKind::unit_job,
                       std::nullopt,
                       Severity::error,
                       "sshd unreachable, cannot restart it: " + sent.error().message,
                       {{"unit", unit}, {"accepted", "false"}}});
  }
}

}  // namespace lifeline::memory
