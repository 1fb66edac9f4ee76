#include "signals/pattern.hpp"

#include <algorithm>
#include <utility>

namespace lifeline::signals {

namespace {

using std::chrono::nanoseconds;

nanoseconds step_length(const Step& step) {
  return std::max(nanoseconds(step.duration), nanoseconds(0));
}

// `count` x (on, off), without the last off: a one-shot ends with the last sound.
std::vector<Step> beeps(int count, milliseconds on, milliseconds off) {
  std::vector<Step> steps;
  for (int i = 0; i < count; ++i) {
    steps.push_back({true, on});
    steps.push_back({false, off});
  }
  if (!steps.empty()) steps.pop_back();
  return steps;
}

}  // namespace

Pattern make_pattern(std::string name, std::vector<Step> steps, bool repeat) {
  Pattern pattern;
  pattern.name = std::move(name);
  pattern.repeat = repeat;
  for (const Step& step : steps) {
    if (step.duration <= milliseconds(0)) continue;
    if (!pattern.steps.empty() && pattern.steps.back().on == step.on) {
      pattern.steps.back().duration += step.duration;
    } else {
      pattern.steps.push_back(step);
    }
  }
  return pattern;
}

Pattern blink_pattern(BlinkCode code) {
  std::vector<Step> steps;
  for (int i = 0; i < code.long_blinks; ++i) {
    steps.push_back({true, kTimings.long_on});
    steps.push_back({false, kTimings.gap});
  }
  for (int i = 0; i < code.short_blinks; ++i) {
    steps.push_back({true, kTimings.short_on});
    steps.push_back({false, kTimings.gap});
  }
  // The dark time after the last flash is the pause itself, not gap + pause.
  if (steps.empty()) {
    steps.push_back({false, kTimings.pause});
  } else {
    steps.back().duration = kTimings.pause;
  }
  return make_pattern(
      "code " + std::to_string(code.long_blinks) + "-" + std::to_string(code.short_blinks),
      std::move(steps), true);
}

Pattern healthy_pattern() {
  return make_pattern(
      "healthy",
      {{true, kTimings.heartbeat_on}, {false, kTimings.heartbeat_period - kTimings.heartbeat_on}},
      true);
}

Pattern lockout_pattern() {
  return make_pattern("lockout", {{true, kTimings.lockout_on}, {false, kTimings.lockout_off}},
                      true);
}

Pattern estop_pattern() {
  return make_pattern("estop", {{true, milliseconds(1000)}}, true);
}

Pattern locate_pattern() {
  return make_pattern("locate",
                      {{true, kTimings.locate_flash},
                       {false, kTimings.locate_flash},
                       {true, kTimings.locate_flash},
                       {false, kTimings.locate_rest}},
                      true);
}

Pattern stopped_pattern() {
  return make_pattern("stopped", {{false, milliseconds(1000)}}, true);
}

Pattern off_pattern() {
  return make_pattern("off", {{false, milliseconds(1000)}}, true);
}

BuzzerAlert buzzer_alert_for(Fault fault) {
  switch (fault) {
    case Fault::boot_loop_lockout:
      return BuzzerAlert::lockout;
    case Fault::app_crash_loop:
      return BuzzerAlert::crash_loop;
    case Fault::app_dead:
    case Fault::app_hung:
    case Fault::app_errors:
    case Fault::estop_active:
    case Fault::motors_awaiting_rearm:
      return BuzzerAlert::motors_stopped;
    default:
      break;
  }
  return fault_info(fault).severity == Severity::critical ? BuzzerAlert::critical
                                                          : BuzzerAlert::none;
}

Pattern buzzer_pattern(BuzzerAlert alert) {
  switch (alert) {
    case BuzzerAlert::none:
      break;
    case BuzzerAlert::critical:
      return make_pattern("buzz-critical", beeps(1, kTimings.beep_critical, kTimings.beep_gap),
                          false);
    case BuzzerAlert::motors_stopped:
      return make_pattern("buzz-motors-stopped", beeps(3, kTimings.beep_short, kTimings.beep_gap),
                          false);
    case BuzzerAlert::crash_loop:
      return make_pattern("buzz-crash-loop", beeps(2, kTimings.beep_long, kTimings.beep_gap),
                          false);
    case BuzzerAlert::lockout:
      return make_pattern("buzz-lockout", beeps(1, kTimings.tone_lockout, kTimings.beep_gap),
                          false);
  }
  return make_pattern("none", {}, false);
}

Pattern buzzer_pattern_for(Fault fault) {
  return buzzer_pattern(buzzer_alert_for(fault));
}

Pattern buzzer_locate_pattern() {
  Pattern pattern = locate_pattern();
  pattern.name = "buzz-locate";
  return pattern;
}

PatternLibrary::PatternLibrary() {
  for (std::size_t i = 0; i < buzzer.size(); ++i) {
    buzzer[i] = buzzer_pattern(static_cast<BuzzerAlert>(i));
  }
  for (std::size_t i = 0; i < kFaultTable.size(); ++i) {
    blink_codes[i] = blink_pattern(kFaultTable[i].blink);
  }
}

const PatternLibrary& patterns() {
  static const PatternLibrary library;
  return library;
}

std::size_t fault_index(Fault fault) {
  for (std::size_t i = 0; i < kFaultTable.size(); ++i) {
    if (kFaultTable[i].fault == fault) return i;
  }
  return 0;  // unreachable for a valid Fault: the table has every enumerator
}

const Pattern& led_pattern_for(Fault fault) {
  return patterns().blink_codes[fault_index(fault)];
}

const Pattern& buzzer_for(BuzzerAlert alert) {
  return patterns().buzzer[static_cast<std::size_t>(alert)];
}

BlinkCount count_blinks(const Pattern& pattern) {
  BlinkCount count;
  for (const Step& step : pattern.steps) {
    if (!step.on) continue;
    if (step.duration == kTimings.long_on) ++count.long_blinks;
    if (step.duration == kTimings.short_on) ++count.short_blinks;
  }
  return count;
}

std::chrono::nanoseconds pattern_length(const Pattern& pattern) {
  nanoseconds length{0};
  for (const Step& step : pattern.steps) length += step_length(step);
  return length;
}

void PatternPlayer::start(const Pattern* pattern, hal::MonoTime now) {
  pattern_ = pattern;
  start_ = now;
  length_ = pattern != nullptr ? pattern_length(*pattern) : nanoseconds(0);
}

bool PatternPlayer::level(hal::MonoTime t) const {
  if (pattern_ == nullptr || length_ <= nanoseconds(0)) return false;
  nanoseconds offset = t < start_ ? nanoseconds(0) : t - start_;
  if (pattern_->repeat) {
    offset %= length_;
  } else if (offset >= length_) {
    return false;
  }
  for (const Step& step : pattern_->steps) {
    const nanoseconds length = step_length(step);
    if (offset < length) return step.on;
    offset -= length;
  }
  return false;
}

std::optional<hal::MonoTime> PatternPlayer::next_edge(hal::MonoTime t) const {
  if (pattern_ == nullptr || length_ <= nanoseconds(0)) return std::nullopt;
  const hal::MonoTime from = std::max(t, start_);
  const nanoseconds elapsed = from - start_;
  if (!pattern_->repeat && elapsed >= length_) return std::nullopt;
  const bool current = level(from);
  // Walk from the start of the current cycle; a repeating pattern changes level within
  // one cycle after `from` if it ever does, so two cycles are enough.
  hal::MonoTime boundary =
      start_ + (pattern_->repeat ? elapsed - elapsed % length_ : nanoseconds(0));
  const int cycles = pattern_->repeat ? 2 : 1;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    for (const Step& step : pattern_->steps) {
      const nanoseconds length = step_length(step);
      if (length > nanoseconds(0) && boundary > from && step.on != current) return boundary;
      boundary += length;
    }
  }
  if (!pattern_->repeat && current) return boundary;  // a one-shot ends off
  return std::nullopt;
}

bool PatternPlayer::finished(hal::MonoTime t) const {
  if (pattern_ == nullptr) return true;
  return !pattern_->repeat && t - start_ >= length_;
}

std::optional<hal::MonoTime> PatternPlayer::end_time() const {
  if (pattern_ == nullptr || pattern_->repeat) return std::nullopt;
  return start_ + length_;
}

}  // namespace lifeline::signals
