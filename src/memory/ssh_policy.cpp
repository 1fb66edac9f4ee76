#include "memory/ssh_policy.hpp"

namespace lifeline::memory {

SshDecision SshPolicy::on_result(hal::MonoTime now, const SshProbeResult& result) {
  SshDecision d;
  if (!first_probe_) first_probe_ = now;
  if (result.ok) {
    answered_once_ = true;
    failures_ = 0;
    d.clear = unreachable_;
    unreachable_ = false;
    return d;
  }
  if (!answered_once_ && now - *first_probe_ < settings_.start_grace) return d;  // booting
  ++failures_;
  if (failures_ < settings_.failures_to_raise) return d;
  d.raise = !unreachable_;
  unreachable_ = true;
  // Restart at the raise and then, while it stays unreachable, at most once per interval.
  if (!settings_.restart_configured || settings_.restart_min_interval.count() == 0) return d;
  if (last_restart_ && now - *last_restart_ < settings_.restart_min_interval) {
    d.restart_held = true;
    return d;
  }
  d.restart = true;
  last_restart_ = now;
  return d;
}

}  // namespace lifeline::memory
