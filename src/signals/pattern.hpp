// Blink and beep patterns as data: a list of (on/off, duration) steps, built from the
// fault table and the one timing table below, never written out per fault. A pure
// PatternPlayer says what level a pattern has at time t and when it next changes, so one
// timer on the loop can drive every output (docs/signals.md).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fault/fault.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline::signals {

using std::chrono::milliseconds;

// Every timing a person reads, in one place (docs/signals.md repeats it; keep both equal).
struct SignalTimings {
  // Blink code {L, S}: L x (long_on, gap), S x (short_on, gap), with the last gap
  // stretched to `pause`, repeat. The 4:1 on-time ratio makes long and short obvious.
  milliseconds long_on{600};
  milliseconds short_on{150};
  milliseconds gap{300};
  milliseconds pause{1500};
  // Healthy: one short tick every period; never solid, never off.
  milliseconds heartbeat_on{50};
  milliseconds heartbeat_period{2000};
  // boot_loop_lockout: a continuous fast blink (4 Hz).
  milliseconds lockout_on{125};
  milliseconds lockout_off{125};
  // estop_active: solid on (one step, no edges).
  // Locate: a double flash once a second on the LEDs, the buzzer in step with it.
  milliseconds locate_flash{100};
  milliseconds locate_rest{700};
  // Buzzer alerts (played once per onset, and per reminder).
  milliseconds beep_short{150};
  milliseconds beep_long{500};
  milliseconds beep_gap{150};
  milliseconds beep_critical{400};
  milliseconds tone_lockout{1500};
};
inline constexpr SignalTimings kTimings{};

struct Step {
  bool on;
  milliseconds duration;
};

struct Pattern {
  std::vector<Step> steps;
  bool repeat = true;  // false: played once, then off
  std::string name;
};

// Builds a pattern: zero-length steps dropped, neighbours of the same level merged, so
// every step boundary inside the pattern is an edge.
Pattern make_pattern(std::string name, std::vector<Step> steps, bool repeat);

// LED patterns.
Pattern blink_pattern(BlinkCode code);  // name "code L-S"
Pattern healthy_pattern();
Pattern lockout_pattern();
Pattern estop_pattern();
Pattern locate_pattern();
Pattern stopped_pattern();  // clean shutdown: off
Pattern off_pattern();      // an LED with nothing to show (e.g. red of a pair while healthy)

// Buzzer patterns (not repeating). Which faults sound is decided by BuzzerPolicy.
enum class BuzzerAlert : std::uint8_t { none, critical, motors_stopped, crash_loop, lockout };
BuzzerAlert buzzer_alert_for(Fault fault);  // the pattern a fault's onset would sound
Pattern buzzer_pattern(BuzzerAlert alert);  // none: an empty pattern
Pattern buzzer_pattern_for(Fault fault);    // buzzer_pattern(buzzer_alert_for(fault))
Pattern buzzer_locate_pattern();            // repeats while locating

// Every pattern, built once: the arbiter and the service hand out pointers into it, so
// switching patterns never allocates.
struct PatternLibrary {
  Pattern healthy = healthy_pattern();
  Pattern lockout = lockout_pattern();
  Pattern estop = estop_pattern();
  Pattern locate = locate_pattern();
  Pattern stopped = stopped_pattern();
  Pattern off = off_pattern();
  Pattern buzzer_locate = buzzer_locate_pattern();
  std::array<Pattern, static_cast<std::size_t>(BuzzerAlert::lockout) + 1> buzzer;  // by alert
  std::array<Pattern, kFaultTable.size()> blink_codes;  // in kFaultTable order
  PatternLibrary();
};
const PatternLibrary& patterns();
const Pattern& led_pattern_for(Fault fault);  // the fault's blink code
// The fault's row in kFaultTable (every Fault has one).
std::size_t fault_index(Fault fault);
const Pattern& buzzer_for(BuzzerAlert alert);

// The number of long and short on-steps of a blink pattern (docs and tests check codes).
struct BlinkCount {
  int long_blinks = 0;
  int short_blinks = 0;
};
BlinkCount count_blinks(const Pattern& pattern);
std::chrono::nanoseconds pattern_length(const Pattern& pattern);

// Plays one pattern from a start time. Pure and allocation-free: level and next edge are
// computed from the elapsed time, so a late timer never shifts the rhythm.
class PatternPlayer {
 public:
  void start(const Pattern* pattern, hal::MonoTime now);
  void stop() { pattern_ = nullptr; }
  [[nodiscard]] const Pattern* pattern() const { return pattern_; }
  [[nodiscard]] hal::MonoTime started() const { return start_; }
  // The output level at t (times before the start read as the start).
  [[nodiscard]] bool level(hal::MonoTime t) const;
  // The first time after t at which the level differs from level(t); none if it never
  // changes again (a solid pattern, or a one-shot that has ended or ends already off).
  [[nodiscard]] std::optional<hal::MonoTime> next_edge(hal::MonoTime t) const;
  // A one-shot pattern has played to its end (repeating patterns never finish).
  [[nodiscard]] bool finished(hal::MonoTime t) const;
  [[nodiscard]] std::optional<hal::MonoTime> end_time() const;

 private:
  const Pattern* pattern_ = nullptr;
  hal::MonoTime start_{};
  std::chrono::nanoseconds length_{0};
};

}  // namespace lifeline::signals
