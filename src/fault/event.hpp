// The vocabulary of state changes. Every change is one Event, written once to the black
// box and once to the journal by the Recorder; nothing formats an event twice.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fault/fault.hpp"

namespace lifeline {

enum class EventKind : std::uint16_t {
  agent_started = 1,
  agent_stopped = 2,
  fault_raised = 3,
  fault_cleared = 4,
  watchdog_opened = 5,
  watchdog_petting_stopped = 6,
  watchdog_disarmed = 7,
  reset_recorded = 8,
  config_loaded = 9,
  config_reloaded = 10,
  config_rejected = 11,
  lockout_entered = 12,
  lockout_cleared = 13,
  health_check_changed = 14,
  records_dropped = 15,
  safe_state_entered = 16,
  motors_stopped = 17,
  motors_armed = 18,
  rearm_refused = 19,
  app_started = 20,
  app_exited = 21,
  app_state_changed = 22,
  doctor_report = 23,         // lifeline doctor at start: the summary
  doctor_finding = 24,        // one warning or critical finding of it
  memory_level_changed = 30,  // the memory guard (30..39)
  memory_snapshot = 31,
  memory_relief = 32,
  memory_victim_exited = 33,
  oom_kill_seen = 34,
  ssh_probe_changed = 35,
  unit_job = 36,
  memory_monitor = 37,
  memory_leak_changed = 38,
  rescue_started = 60,  // the rescue page (60..69)
  rescue_login = 61,
  rescue_action = 62,
  service_conflict = 70,  // service exclusivity (70..79)
  service_conflict_ended = 71,
  duplicate_stop = 72,
  owner_verified = 73,
  exclusivity_monitor = 74,
  duplicate_mask = 75,
  exclusivity_release = 76,
};

struct EventKindInfo {
  EventKind kind;
  std::string_view name;
};

inline constexpr std::array kEventKinds = {
    EventKindInfo{EventKind::agent_started, "agent_started"},
    EventKindInfo{EventKind::agent_stopped, "agent_stopped"},
    EventKindInfo{EventKind::fault_raised, "fault_raised"},
    EventKindInfo{EventKind::fault_cleared, "fault_cleared"},
    EventKindInfo{EventKind::watchdog_opened, "watchdog_opened"},
    EventKindInfo{EventKind::watchdog_petting_stopped, "watchdog_petting_stopped"},
    EventKindInfo{EventKind::watchdog_disarmed, "watchdog_disarmed"},
    EventKindInfo{EventKind::reset_recorded, "reset_recorded"},
    EventKindInfo{EventKind::config_loaded, "config_loaded"},
    EventKindInfo{EventKind::config_reloaded, "config_reloaded"},
    EventKindInfo{EventKind::config_rejected, "config_rejected"},
    EventKindInfo{EventKind::lockout_entered, "lockout_entered"},
    EventKindInfo{EventKind::lockout_cleared, "lockout_cleared"},
    EventKindInfo{EventKind::health_check_changed, "health_check_changed"},
    EventKindInfo{EventKind::records_dropped, "records_dropped"},
    EventKindInfo{EventKind::safe_state_entered, "safe_state_entered"},
    EventKindInfo{EventKind::motors_stopped, "motors_stopped"},
    EventKindInfo{EventKind::motors_armed, "motors_armed"},
    EventKindInfo{EventKind::rearm_refused, "rearm_refused"},
    EventKindInfo{EventKind::app_started, "app_started"},
    EventKindInfo{EventKind::app_exited, "app_exited"},
    EventKindInfo{EventKind::app_state_changed, "app_state_changed"},
    EventKindInfo{EventKind::doctor_report, "doctor_report"},
    EventKindInfo{EventKind::doctor_finding, "doctor_finding"},
    EventKindInfo{EventKind::memory_level_changed, "memory_level_changed"},
    EventKindInfo{EventKind::memory_snapshot, "memory_snapshot"},
    EventKindInfo{EventKind::memory_relief, "memory_relief"},
    EventKindInfo{EventKind::memory_victim_exited, "memory_victim_exited"},
    EventKindInfo{EventKind::oom_kill_seen, "oom_kill_seen"},
    EventKindInfo{EventKind::ssh_probe_changed, "ssh_probe_changed"},
    EventKindInfo{EventKind::unit_job, "unit_job"},
    EventKindInfo{EventKind::memory_monitor, "memory_monitor"},
    EventKindInfo{EventKind::memory_leak_changed, "memory_leak_changed"},
    EventKindInfo{EventKind::rescue_started, "rescue_started"},
    EventKindInfo{EventKind::rescue_login, "rescue_login"},
    EventKindInfo{EventKind::rescue_action, "rescue_action"},
    EventKindInfo{EventKind::service_conflict, "service_conflict"},
    EventKindInfo{EventKind::service_conflict_ended, "service_conflict_ended"},
    EventKindInfo{EventKind::duplicate_stop, "duplicate_stop"},
    EventKindInfo{EventKind::owner_verified, "owner_verified"},
    EventKindInfo{EventKind::exclusivity_monitor, "exclusivity_monitor"},
    EventKindInfo{EventKind::duplicate_mask, "duplicate_mask"},
    EventKindInfo{EventKind::exclusivity_release, "exclusivity_release"},
};

// "unknown_<n>" for kinds written by a newer lifeline.
std::string event_kind_name(EventKind kind);

struct EventField {
  std::string key;  // lower_snake_case; becomes LIFELINE_<KEY> in the journal
  std::string value;
  bool operator==(const EventField&) const = default;
};

struct Event {
  EventKind kind = EventKind::agent_started;
  std::optional<Fault> fault;
  Severity severity = Severity::info;
  std::string message;  // one plain sentence
  std::vector<EventField> fields;
  bool operator==(const Event&) const = default;
};

}  // namespace lifeline

namespace lifeline {

// Where events go. The agent's Recorder writes the black box, the journal and the
// console; tests collect them in a vector.
class KeptEvent;

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void record(Event event) = 0;
  // For a path that must not allocate (the memory guard before a kill), in two steps.
  // record_kept() puts the event in the black box only, copying it without allocating;
  // narrate_kept(), called later off that path, sends the same event everywhere else
  // (journal, console, the page's history). A sink without that split records it whole
  // at the first step and ignores the second.
  virtual void record_kept(const KeptEvent& event);
  virtual void narrate_kept(const KeptEvent& /*event*/) {}
};

}  // namespace lifeline
