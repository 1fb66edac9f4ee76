// Fault signalling for a person next to the robot: the status LED(s) show the blink code
// of the most severe fault, the buzzer sounds critical onsets (docs/signals.md). One
// prepared OneshotTimer on the loop drives every output: at each edge the lines are set
// and the timer re-armed at the next edge, without allocating. A missing or failing
// output is reported once and then left alone; the others carry on.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"
#include "fault/fault_set.hpp"
#include "lifeline/hal/clock.hpp"
#include "lifeline/hal/output_line.hpp"
#include "signals/arbiter.hpp"
#include "signals/pattern.hpp"

namespace lifeline::signals {

struct SignalSettings {
  std::chrono::seconds buzzer_reminder{0};  // 0: each onset sounds once, no reminders
  bool quiet = false;                       // the quiet switch: buzzer silent, LEDs unchanged
  int quiet_start_minute = -1;              // daily quiet window, minutes since local
  int quiet_end_minute = -1;                // midnight; wraps when start > end; -1: none
};

// Minutes since local midnight (the system's time zone) of a wall-clock time.
int local_minute_of_day(hal::WallTime time);

class SignalService {
 public:
  // `which` is the role ("status_led", "status_led_secondary", "buzzer").
  using FailureCallback = std::function<void(const std::string& which, const std::string& error)>;

  // Any output may be null (the board lacks the role). `clock` must read the loop's
  // CLOCK_MONOTONIC (hal::SystemClock): edge times are armed on the loop as they are.
  SignalService(EventLoop& loop, const hal::Clock& clock, std::unique_ptr<hal::OutputLine> led,
                std::unique_ptr<hal::OutputLine> led_secondary,
                std::unique_ptr<hal::OutputLine> buzzer, SignalSettings settings,
                FailureCallback on_output_failure);
  SignalService(const SignalService&) = delete;
  SignalService& operator=(const SignalService&) = delete;
  ~SignalService();

  // Prepares the timer and shows the current state (healthy until told otherwise).
  Status start();
  // The whole active list, in raise order (FaultSet::active_faults()), after any change.
  void on_faults_changed(const std::vector<ActiveFault>& active);
  // Blinks (and, unless quiet, beeps) the locate pattern for `duration` (at most an
  // hour), then returns to normal; 0 ends a locate early.
  void locate(std::chrono::seconds duration);
  void set_quiet(bool quiet);
  // Reload: reminder interval and quiet settings.
  void apply_settings(const SignalSettings& settings);
  // Clean stop: LEDs to the "stopped" state (off), buzzer off, timer disarmed. Final.
  void shutdown();

  [[nodiscard]] bool quiet_now() const;
  [[nodiscard]] bool locating() const { return locate_until_.has_value(); }
  // {"led": {"output", "pattern", "fault"}, "led_secondary": {...}, "buzzer": {...},
  //  "quiet": {"switch", "window", "active"}, "locate": {"active", "remaining_s"}}
  [[nodiscard]] nlohmann::json status() const;

 private:
  struct Output {
    Output(const char* role_name, std::unique_ptr<hal::OutputLine> output_line)
        : role(role_name), line(std::move(output_line)) {}
    const char* role;
    std::unique_ptr<hal::OutputLine> line;
    PatternPlayer player;
    std::optional<bool> driven;  // the level last set: a line is written on changes only
    bool failed = false;
    bool reported = false;
    std::string error;
    [[nodiscard]] bool usable() const { return line != nullptr && !failed; }
  };

  void on_timer();
  void select_leds(hal::MonoTime now);
  void select_buzzer(hal::MonoTime now);
  void start_alert(const Pattern* alert, hal::MonoTime now);
  static void play(Output& output, const Pattern* pattern, hal::MonoTime now);
  void apply(hal::MonoTime now);
  void drive(Output& output, bool level);
  void schedule(hal::MonoTime now);
  void report_failures();
  [[nodiscard]] nlohmann::json output_json(const Output& output) const;

  EventLoop& loop_;
  const hal::Clock& clock_;
  Output led_;
  Output led_secondary_;
  Output buzzer_;
  SignalSettings settings_;
  FailureCallback on_output_failure_;
  BuzzerPolicy policy_;
  std::vector<ActiveFault> active_;
  std::optional<Fault> shown_;
  const Pattern* alert_ = nullptr;  // a one-shot buzzer alert still playing
  std::optional<hal::MonoTime> locate_until_;
  hal::MonoTime locate_since_{};  // the locate beeps keep the LEDs' phase
  bool started_ = false;
  bool stopping_ = false;
  OneshotTimer timer_;  // last: removed from the loop before anything it uses goes
};

}  // namespace lifeline::signals
