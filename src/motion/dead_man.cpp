#include "motion/dead_man.hpp"

#include <algorithm>

namespace lifeline::motion {

std::string_view stop_cause_name(StopCause cause) {
  switch (cause) {
    case StopCause::startup:
      return "startup";
    case StopCause::app_dead:
      return "app_dead";
    case StopCause::app_hung:
      return "app_hung";
    case StopCause::app_errors:
      return "app_errors";
    case StopCause::crash_loop:
      return "crash_loop";
    case StopCause::estop:
      return "estop";
    case StopCause::safe_state:
      return "safe_state";
  }
  return "unknown";
}

bool AppHealth::healthy() const {
  return !problem().has_value();
}

std::optional<std::pair<StopCause, std::string>> AppHealth::problem() const {
  if (crash_loop)
    return std::pair{StopCause::crash_loop, std::string("the app is in a crash loop")};
  if (process_watched && !process_alive) {
    return std::pair{StopCause::app_dead, std::string("the app's process is not running")};
  }
  if (lease_watched && !lease_alive) {
    return std::pair{StopCause::app_hung, std::string("the app's heartbeat lease is not renewed")};
  }
  if (probe_watched && !probe_ok) {
    return std::pair{StopCause::app_errors, std::string("the app's health URL is failing")};
  }
  if (!process_watched && !lease_watched && !probe_watched) {
    // Nothing watches the app: nothing can prove it healthy, so nothing may arm.
    return std::pair{StopCause::startup, std::string("no detector is configured")};
  }
  return std::nullopt;
}

Decision DeadManPolicy::stop(StopCause cause, std::string reason) {
  state_ = MotionState::stopped;
  cause_ = cause;
  reason_ = reason;
  healthy_since_.reset();
  return Decision{Decision::Action::stop, cause, std::move(reason)};
}

Decision DeadManPolicy::on_health(const AppHealth& health, hal::MonoTime now) {
  const auto problem = health.problem();
  if (state_ == MotionState::armed) {
    if (problem) return stop(problem->first, problem->second);
    return {};
  }
  // Stopped: track how long the app has been healthy, for auto re-arm only.
  if (problem) {
    healthy_since_.reset();
    return {};
  }
  if (!healthy_since_) healthy_since_ = now;
  if (latched_ || settings_.auto_rearm_after.count() <= 0) return {};
  if (now - *healthy_since_ < settings_.auto_rearm_after) return {};
  state_ = MotionState::armed;
  reason_ = "re-armed automatically after the app was healthy for " +
            std::to_string(settings_.auto_rearm_after.count()) + " ms";
  return Decision{Decision::Action::arm, cause_, reason_};
}

Decision DeadManPolicy::on_estop(hal::MonoTime /*now*/) {
  latched_ = true;
  return stop(StopCause::estop, "emergency stop requested");
}

Decision DeadManPolicy::on_safe_state(std::string_view reason, hal::MonoTime /*now*/) {
  latched_ = true;
  return stop(StopCause::safe_state, std::string(reason));
}

RearmResult DeadManPolicy::on_rearm(const AppHealth& health, hal::MonoTime now,
                                    std::string_view blocked_by) {
  if (!blocked_by.empty()) return {false, "refused: " + std::string(blocked_by)};
  if (auto problem = health.problem()) return {false, "refused: " + problem->second};
  if (state_ == MotionState::armed) return {true, "already armed"};
  latched_ = false;
  state_ = MotionState::armed;
  healthy_since_ = now;
  reason_ = "re-armed by an operator";
  return {true, reason_};
}

void CrashLoopDetector::expire(hal::MonoTime now) {
  while (!deaths_.empty() && now - deaths_.front() > window_) deaths_.pop_front();
}

bool CrashLoopDetector::record_death(hal::MonoTime now) {
  expire(now);
  deaths_.push_back(now);
  return deaths_.size() >= max_deaths_;
}

bool CrashLoopDetector::in_crash_loop(hal::MonoTime now) const {
  return deaths_in_window(now) >= max_deaths_;
}

std::size_t CrashLoopDetector::deaths_in_window(hal::MonoTime now) const {
  return static_cast<std::size_t>(std::count_if(
      deaths_.begin(), deaths_.end(), [&](hal::MonoTime death) { return now - death <= window_; }));
}

}  // namespace lifeline::motion
