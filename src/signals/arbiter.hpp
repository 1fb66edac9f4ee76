// What the LEDs show and when the buzzer sounds, as pure decisions over the active
// faults: no clock reads, no I/O, so every rule is a unit test (docs/signals.md).
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <vector>

#include "fault/fault_set.hpp"
#include "lifeline/hal/clock.hpp"
#include "signals/pattern.hpp"

namespace lifeline::signals {

// The fault the LED shows: highest severity, then the most recently raised (`active` is
// in raise order, as FaultSet keeps it). Info-severity faults are never shown.
std::optional<Fault> shown_fault(const std::vector<ActiveFault>& active);

// Which LEDs can be driven (present and not failed).
struct LedOutputs {
  bool primary = true;
  bool secondary = false;
};

struct LedChoice {
  const Pattern* primary = nullptr;
  const Pattern* secondary = nullptr;
  std::optional<Fault> fault;  // the fault whose code is shown, if any
};

// Priority, first match wins: stopping (both off) > locate (both) > boot_loop_lockout >
// estop_active > the shown fault's blink code > healthy. With both LEDs usable the
// primary (red) shows faults and is off while healthy, the secondary (green) shows the
// heartbeat and is off otherwise; with one usable LED, that one shows everything.
LedChoice choose_leds(const std::vector<ActiveFault>& active, bool stopping, bool locating,
                      LedOutputs outputs);

// Minutes since local midnight in [start, end); start > end wraps across midnight;
// negative bounds or start == end: no window.
bool in_quiet_window(int minute_of_day, int start, int end);

// Buzzer alerts: once per onset of a sounding fault, and a reminder every `reminder`
// while one stays active (0: none). Sounding faults: boot_loop_lockout, app_crash_loop,
// the stop causes (app_dead, app_hung, app_errors, estop_active), every critical fault,
// and motors_awaiting_rearm when a stop cause is active and that stop was not already
// announced (at start-up the motors await a re-arm without any stop: silent).
// Quiet suppresses the sound; the onset is still used up and the reminder clock restarts.
class BuzzerPolicy {
 public:
  explicit BuzzerPolicy(std::chrono::seconds reminder = std::chrono::seconds(0))
      : reminder_(reminder) {}
  void set_reminder(std::chrono::seconds reminder) { reminder_ = reminder; }
  [[nodiscard]] std::chrono::seconds reminder() const { return reminder_; }

  // Call with every new fault list; returns the alert to play now, if any (several
  // onsets at once: the most important one: lockout > crash loop > motors stopped >
  // critical).
  std::optional<const Pattern*> on_faults_changed(const std::vector<ActiveFault>& active,
                                                  hal::MonoTime now, bool quiet);
  // Call at (or after) next_reminder(); returns the reminder to play, if any.
  std::optional<const Pattern*> on_tick(hal::MonoTime now, bool quiet);
  // When on_tick next has something to do; none while nothing would be reminded.
  [[nodiscard]] std::optional<hal::MonoTime> next_reminder() const;
  // The alert a reminder would play now (none: nothing sounding is active).
  [[nodiscard]] BuzzerAlert standing_alert() const;

 private:
  std::chrono::seconds reminder_;
  std::array<bool, kFaultTable.size()> active_{};
  bool stop_announced_ = false;
  std::optional<hal::MonoTime> last_alert_;
};

}  // namespace lifeline::signals
