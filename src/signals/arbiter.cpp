#include "signals/arbiter.hpp"

#include <algorithm>

namespace lifeline::signals {

namespace {

bool has(const std::vector<ActiveFault>& active, Fault fault) {
  return std::any_of(active.begin(), active.end(),
                     [fault](const ActiveFault& a) { return a.fault == fault; });
}

bool is_stop_cause(Fault fault) {
  return fault == Fault::app_dead || fault == Fault::app_hung || fault == Fault::app_errors ||
         fault == Fault::estop_active;
}

}  // namespace

std::optional<Fault> shown_fault(const std::vector<ActiveFault>& active) {
  std::optional<Fault> best;
  Severity best_severity = Severity::info;
  for (const ActiveFault& candidate : active) {
    const Severity severity = fault_info(candidate.fault).severity;
    if (severity == Severity::info) continue;
    // >=: among equals the later (more recently raised) one wins.
    if (!best || severity >= best_severity) {
      best = candidate.fault;
      best_severity = severity;
    }
  }
  return best;
}

LedChoice choose_leds(const std::vector<ActiveFault>& active, bool stopping, bool locating,
                      LedOutputs outputs) {
  const PatternLibrary& library = patterns();
  LedChoice choice;
  const Pattern* single = &library.healthy;
  bool both = false;  // stopped and locate show on both LEDs of a pair
  if (stopping) {
    single = &library.stopped;
    both = true;
  } else if (locating) {
    single = &library.locate;
    both = true;
  } else if (has(active, Fault::boot_loop_lockout)) {
    single = &library.lockout;
    choice.fault = Fault::boot_loop_lockout;
  } else if (has(active, Fault::estop_active)) {
    single = &library.estop;
    choice.fault = Fault::estop_active;
  } else if (const auto fault = shown_fault(active)) {
    single = &led_pattern_for(*fault);
    choice.fault = fault;
  }
  const bool healthy = single == &library.healthy;
  if (outputs.primary && outputs.secondary) {
    if (both) {
      choice.primary = single;
      choice.secondary = single;
    } else if (healthy) {
      choice.primary = &library.off;
      choice.secondary = single;
    } else {
      choice.primary = single;
      choice.secondary = &library.off;
    }
  } else if (outputs.secondary) {
    choice.primary = &library.off;
    choice.secondary = single;
  } else {
    choice.primary = single;
    choice.secondary = &library.off;
  }
  return choice;
}

bool in_quiet_window(int minute_of_day, int start, int end) {
  if (start < 0 || end < 0 || start == end) return false;
  if (start < end) return minute_of_day >= start && minute_of_day < end;
  return minute_of_day >= start || minute_of_day < end;  // wraps across midnight
}

std::optional<const Pattern*> BuzzerPolicy::on_faults_changed(
    const std::vector<ActiveFault>& active, hal::MonoTime now, bool quiet) {
  std::array<bool, kFaultTable.size()> current{};
  bool cause_active = false;
  for (const ActiveFault& a : active) {
    current[fault_index(a.fault)] = true;
    cause_active = cause_active || is_stop_cause(a.fault);
  }
  BuzzerAlert best = BuzzerAlert::none;
  for (const ActiveFault& a : active) {
    if (active_[fault_index(a.fault)]) continue;  // not an onset
    BuzzerAlert alert = buzzer_alert_for(a.fault);
    if (a.fault == Fault::motors_awaiting_rearm && (!cause_active || stop_announced_)) {
      alert = BuzzerAlert::none;
    }
    if (alert == BuzzerAlert::motors_stopped) stop_announced_ = true;
    best = std::max(best, alert);
  }
  active_ = current;
  if (!cause_active && !current[fault_index(Fault::motors_awaiting_rearm)]) {
    stop_announced_ = false;  // re-armed (or never stopped): the next stop is news
  }
  if (best == BuzzerAlert::none) {
    if (standing_alert() == BuzzerAlert::none) last_alert_.reset();
    return std::nullopt;
  }
  last_alert_ = now;
  if (quiet) return std::nullopt;
  return &buzzer_for(best);
}

std::optional<const Pattern*> BuzzerPolicy::on_tick(hal::MonoTime now, bool quiet) {
  const auto due = next_reminder();
  if (!due || now < *due) return std::nullopt;
  last_alert_ = now;
  if (quiet) return std::nullopt;
  return &buzzer_for(standing_alert());
}

std::optional<hal::MonoTime> BuzzerPolicy::next_reminder() const {
  if (reminder_ <= std::chrono::seconds(0) || !last_alert_) return std::nullopt;
  if (standing_alert() == BuzzerAlert::none) return std::nullopt;
  return *last_alert_ + reminder_;
}

BuzzerAlert BuzzerPolicy::standing_alert() const {
  BuzzerAlert best = BuzzerAlert::none;
  for (std::size_t i = 0; i < kFaultTable.size(); ++i) {
    if (!active_[i]) continue;
    const Fault fault = kFaultTable[i].fault;
    if (fault == Fault::motors_awaiting_rearm && !stop_announced_) continue;
    best = std::max(best, buzzer_alert_for(fault));
  }
  return best;
}

}  // namespace lifeline::signals
