// The agent's glue for the memory guard and for systemd jobs: building the guard with its
// hooks into motion, and the operator's restart-app / restart-ssh / reboot commands.
#include <string>

#include "agent/agent.hpp"
#include "memory/victim.hpp"

namespace lifeline {

void Agent::start_memory() {
  unit_jobs_ = std::make_unique<UnitJobs>(*loop_);
  if (!config_.memory.enabled) return;
  memory::MemoryHooks hooks;
  hooks.before_kill = [this](const memory::ProcessInfo& victim, std::string_view /*reason*/) {
    before_memory_kill(victim);
  };
  hooks.after_kill = [this](const memory::ProcessInfo& victim, std::string_view reason) {
    after_memory_kill(victim, reason);
  };
  memory_ = std::make_unique<memory::MemoryService>(
      *loop_, *faults_, *recorder_, *unit_jobs_, blackbox_.get(), config_.memory, std::move(hooks));
  if (auto started = memory_->start(); !started) {
    recorder_->record(Event{EventKind::memory_monitor,
                            std::nullopt,
                            Severity::error,
                            "memory guard not running: " + started.error().message,
                            {}});
    memory_.reset();
  }
}

// Motion safety first: if the memory guard is about to kill the control app (its main
// process, or anything in its unit), the motors stop before the signal, not after. This
// runs on the kill path, so it only stops them (the stop path allocates nothing); the
// record of why follows the signal, in after_memory_kill().
void Agent::before_memory_kill(const memory::ProcessInfo& victim) {
  motors_stopped_for_kill_ = false;
  if (!motion_) return;
  const auto app = motion_->app_pid();
  const std::string& unit = config_.motion.app.unit;
  const bool in_app_unit = !unit.empty() && memory::cgroup_has_unit(victim.cgroup, unit);
  if ((!app || *app != victim.pid) && !in_app_unit) return;
  motion_->enter_safe_state();
  motors_stopped_for_kill_ = true;
}

void Agent::after_memory_kill(const memory::ProcessInfo& victim, std::string_view reason) {
  if (!motors_stopped_for_kill_ || !motion_) return;
  motors_stopped_for_kill_ = false;
  motion_->after_safe_state("the memory guard is killing the control app (PID " +
                            std::to_string(victim.pid) + "): " + std::string(reason));
}

nlohmann::json Agent::request_unit_job(const std::string& command, const std::string& who) {
  const auto recorded = [this, command, who](const UnitJobResult& result) {
    recorder_->record(Event{
        EventKind::unit_job,
        std::nullopt,
        result.accepted ? Severity::warning : Severity::error,
        command + " by " + who + ": " + result.detail,
        {{"by", who}, {"command", command}, {"accepted", result.accepted ? "true" : "false"}}});
  };
  Status sent = ok_status();
  std::string what;
  if (command == "reboot") {
    what = "reboot";
    sent = unit_jobs_->reboot(recorded);
  } else {
    const std::string unit =
        command == "restart-app" ? config_.motion.app.unit : config_.memory.ssh.unit;
    if (unit.empty()) {
      const char* key = command == "restart-app" ? "[motion.app] unit" : "[memory.ssh] unit";
      return {{"ok", false}, {"error", std::string("no unit is configured (") + key + ")"}};
    }
    what = "restart " + unit;
    sent = unit_jobs_->request(UnitVerb::restart, unit, recorded);
  }
  recorder_->record(Event{EventKind::unit_job,
                          std::nullopt,
                          Severity::warning,
                          what + " requested by " + who,
                          {{"by", who}, {"command", command}}});
  if (!sent) return {{"ok", false}, {"error", sent.error().message}};
  return {{"ok", true}, {"result", what + " requested; systemd's answer is recorded"}};
}

}  // namespace lifeline
