// The dead-man policy: no heartbeat, no motion. Pure: what the monitors observed and
// the time come in as values; whether to stop, arm or refuse comes out. The safety
// logic of the motor stop lives here, so it is where the tests are.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "lifeline/hal/clock.hpp"

namespace lifeline::motion {

enum class StopCause : std::uint8_t {
  startup,     // lifeline just started: nothing proved the app healthy yet
  app_dead,    // the process exited or the unit failed
  app_hung,    // the heartbeat lease expired
  app_errors,  // the HTTP probe tripped
  crash_loop,  // too many deaths in the window
  estop,       // an operator's emergency stop
  safe_state,  // the agent's safe-state sequence (gate closed, lockout)
};

std::string_view stop_cause_name(StopCause cause);

// What the monitors currently say about the app. A detector that is not configured
// does not count.
struct AppHealth {
  bool process_watched = false;
  bool process_alive = false;
  bool lease_watched = false;
  bool lease_alive = false;
  bool probe_watched = false;
  bool probe_ok = false;
  bool crash_loop = false;

  [[nodiscard]] bool healthy() const;
  // The first reason it is not healthy, as a cause and a sentence.
  [[nodiscard]] std::optional<std::pair<StopCause, std::string>> problem() const;
};

enum class MotionState : std::uint8_t { stopped, armed };

struct Decision {
  enum class Action : std::uint8_t { none, stop, arm } action = Action::none;
  StopCause cause = StopCause::startup;
  std::string reason;
};

struct RearmResult {
  bool accepted = false;
  std::string reason;  // why refused, or what was armed
};

struct DeadManSettings {
  std::chrono::milliseconds auto_rearm_after{0};  // 0 = operator re-arm only
};

class DeadManPolicy {
 public:
  explicit DeadManPolicy(DeadManSettings settings) : settings_(settings) {}

  // Any change in what the monitors observe (and the periodic tick, for auto re-arm).
  Decision on_health(const AppHealth& health, hal::MonoTime now);
  // An operator's emergency stop: latched until a re-arm.
  Decision on_estop(hal::MonoTime now);
  // The agent's safe-state sequence; latched like an e-stop but cleared by a re-arm.
  Decision on_safe_state(std::string_view reason, hal::MonoTime now);
  // An operator asks to allow motion again. Refused unless the app is healthy now and
  // nothing holds the motors (lockout, gate closed: `blocked_by` non-empty).
  RearmResult on_rearm(const AppHealth& health, hal::MonoTime now, std::string_view blocked_by);

  [[nodiscard]] MotionState state() const { return state_; }
  [[nodiscard]] StopCause last_cause() const { return cause_; }
  [[nodiscard]] const std::string& last_reason() const { return reason_; }

 private:
  Decision stop(StopCause cause, std::string reason);
  DeadManSettings settings_;
  MotionState state_ = MotionState::stopped;
  StopCause cause_ = StopCause::startup;
  std::string reason_ = "lifeline started: waiting for the app to prove healthy and a re-arm";
  bool latched_ = false;  // e-stop or safe state: only an operator re-arm clears it
  std::optional<hal::MonoTime> healthy_since_;
};

// Counts the app's deaths in a sliding window: over the limit is a crash loop, which
// holds the motors stopped instead of following a Restart=always loop.
class CrashLoopDetector {
 public:
  CrashLoopDetector(std::uint32_t max_deaths, std::chrono::seconds window)
      : max_deaths_(max_deaths), window_(window) {}
  // Records a death; true when this death makes (or keeps) it a crash loop.
  bool record_death(hal::MonoTime now);
  [[nodiscard]] bool in_crash_loop(hal::MonoTime now) const;
  [[nodiscard]] std::size_t deaths_in_window(hal::MonoTime now) const;
  void reset() { deaths_.clear(); }

 private:
  void expire(hal::MonoTime now);
  std::uint32_t max_deaths_;
  std::chrono::seconds window_;
  std::deque<hal::MonoTime> deaths_;
};

}  // namespace lifeline::motion
