// The motor dead-man's view of the control app: the process, unit, lease and HTTP probe
// monitors' callbacks, recorded and folded into one AppHealth for the policy. A callback
// that may stop the motors evaluates first and records after.
#include "motion/motion_service.hpp"

namespace lifeline::motion {

AppHealth MotionService::health() const {
  AppHealth h;
  h.process_watched = process_ != nullptr;
  h.process_alive = process_ != nullptr && process_->pid().has_value();
  h.lease_watched = lease_ != nullptr;
  h.lease_alive = lease_ != nullptr && lease_->alive();
  h.probe_watched = probe_ != nullptr;
  h.probe_ok = probe_ok_;
  h.crash_loop = crash_loop_.in_crash_loop(loop_.now());
  return h;
}

void MotionService::on_process(const ProcessEvent& event) {
  if (event.kind == ProcessEvent::Kind::exited) {
    // Stop before anything else: evaluate() runs the stop path first.
    app_deaths_ += 1;
    const bool crash_loop = crash_loop_.record_death(loop_.now());
    evaluate({event.detected_us, event.woke_us});  // the stop path runs here, before the rest
    if (crash_loop && unit_ && config_.app.stop_unit_on_crash_loop) {
      // Restart=always would only bring it back into the same loop (incident 2025-10-24).
      if (auto stopped = unit_->stop_unit("crash loop"); !stopped) {
        sink_.record(Event{EventKind::app_state_changed,
                           std::nullopt,
                           Severity::warning,
                           "cannot stop " + config_.app.unit + ": " + stopped.error().message,
                           {}});
      }
    }
    sink_.record(
        Event{EventKind::app_exited,
              std::nullopt,
              Severity::warning,
              "the app's process " + std::to_string(event.pid) + " exited",
              {{"pid", std::to_string(event.pid)},
               {"deaths_in_window", std::to_string(crash_loop_.deaths_in_window(loop_.now()))}}});
  } else {
    sink_.record(
        Event{EventKind::app_started,
              std::nullopt,
              Severity::info,
              "watching the app's process " + std::to_string(event.pid) + " (" + event.detail + ")",
              {{"pid", std::to_string(event.pid)}}});
    evaluate();
  }
}

void MotionService::on_unit(const UnitState& state, const std::vector<UnitChange>& changes) {
  for (const UnitChange change : changes) {
    if (change == UnitChange::main_pid_changed && state.main_pid != 0 && process_) {
      process_->watch_pid(static_cast<pid_t>(state.main_pid),
                          "systemd MainPID of " + config_.app.unit);
    }
    if (change == UnitChange::became_failed) {
      sink_.record(
          Event{EventKind::app_exited,
                std::nullopt,
                Severity::warning,
                config_.app.unit +
                    " failed: " + describe_exit(state.exec_main_code, state.exec_main_status) +
                    (state.result == "oom-kill" ? " (systemd: killed by the OOM killer)" : ""),
                {{"result", state.result},
                 {"exit", systemd_exit_text(state.exec_main_code, state.exec_main_status)},
                 {"n_restarts", std::to_string(state.n_restarts)}}});
    }
  }
}

void MotionService::on_lease(const LeaseEvent& event) {
  const Detection detection{hal::wall_us(faults_.clock()), loop_.woke_realtime_us()};
  if (event.kind == LeaseEvent::Kind::rejected) {
    sink_.record(Event{EventKind::app_state_changed,
                       std::nullopt,
                       Severity::warning,
                       "lease datagram rejected: " + event.detail,
                       {}});
    return;
  }
  evaluate(detection);
}

void MotionService::on_probe(const ProbeResult& result) {
  const Detection detection{hal::wall_us(faults_.clock()), loop_.woke_realtime_us()};
  const bool was_ok = probe_ok_;
  // Healthy again only after a success; tripped after N consecutive failures.
  if (result.ok) probe_ok_ = true;
  if (result.tripped) probe_ok_ = false;
  if (was_ok != probe_ok_) {
    evaluate(detection);  // a tripped probe stops the motors before anything is recorded
    sink_.record(Event{EventKind::app_state_changed,
                       std::nullopt,
                       probe_ok_ ? Severity::info : Severity::error,
                       std::string("health URL ") + (probe_ok_ ? "answering" : "failing: ") +
                           (probe_ok_ ? std::string() : result.detail),
                       {{"status", std::to_string(result.status)},
                        {"consecutive_failures", std::to_string(result.consecutive_failures)}}});
  }
}

}  // namespace lifeline::motion
