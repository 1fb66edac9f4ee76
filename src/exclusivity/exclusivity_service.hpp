// Runtime service exclusivity: checks the roles at start, 200 ms after systemd says its
// units changed (UnitFilesChanged, Reloading done, JobRemoved: SystemdUnits), and
// on a slow safety sweep (interval_ms) for what no unit signal announces (a stray process
// started outside any unit, a lost bus). A check reads systemd's service units over sd-bus
// and the processes from /proc, and the pure find_conflicts decides. Each duplicate is
// reported once (fault service_conflict + a service_conflict record naming both sides and
// the fix). Mode "stop" asks systemd to stop a running duplicate service (StopUnit through
// UnitJobs) and then records who holds the role's ports; mode "mask" also masks its unit
// file (MaskUnitFiles, Reload, GetUnitFileState), including a duplicate that is only
// enabled or would be enabled by a preset; a hand-installed unit file in the mask
// directory is first moved aside to UNIT.lifeline-masked (unit_file_aside.hpp), since
// systemd will not put its /dev/null symlink over a regular file.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/event_loop.hpp"
#include "agent/unit_jobs.hpp"
#include "exclusivity/conflicts.hpp"
#include "exclusivity/exclusivity_config.hpp"
#include "exclusivity/proc_scan.hpp"
#include "exclusivity/systemd_units.hpp"
#include "fault/fault_set.hpp"
#include "util/retry_backoff.hpp"

namespace lifeline::exclusivity {

class ExclusivityService {
 public:
  static constexpr std::chrono::milliseconds kDebounce{200};
  // Signals not followed (no bus yet at boot, dbus restarted, systemd re-executed): try
  // again after 1 s, doubling to 30 s, rather than wait for the sweep.
  static constexpr std::chrono::milliseconds kFirstRewatch{1000};
  static constexpr std::chrono::milliseconds kMaxRewatch{30000};

  ExclusivityService(EventLoop& loop, FaultSet& faults, EventSink& sink, UnitJobs& jobs,
                     ExclusivityConfig config, std::string proc_root = "/proc");
  // Subscribes to systemd's unit signals, checks once now, then on signals and the sweep.
  // Without follow_signals (the one-shot `lifeline exclusivity check`), a check runs only
  // now and after its own stops and masks: at boot systemd's job signals never pause
  // long enough for a check that re-ran on each of them to settle.
  Status start(bool follow_signals = true);
  // A reloaded [exclusivity]: the roles apply from the next check.
  void apply(ExclusivityConfig config);
  [[nodiscard]] nlohmann::json status() const;
  // An operator unmasked `unit` (`lifeline exclusivity release`): it is not masked again
  // by this process, only reported, while it remains a duplicate.
  void released(const std::string& unit);
  // Checked at least once, and nothing asked of systemd is still unanswered (for the
  // one-shot `lifeline exclusivity check`).
  [[nodiscard]] bool settled() const;
  // Why the last unit survey failed; "" when it did not (or none ran yet).
  [[nodiscard]] const std::string& survey_error() const { return survey_error_; }

 private:
  using Clock = std::chrono::steady_clock;
  // When the systemd signal behind a check arrived; none for the start and the sweep.
  using Signal = const std::optional<Clock::time_point>&;
  void watch();
  void report_watch(const std::string& error);
  void schedule_rewatch();
  void on_signal(std::string_view signal);
  void begin_check();
  void check(Signal signal_at);
  void on_new(const Conflict& conflict);
  void on_ended(const Conflict& conflict);
  void stop_duplicate(const Conflict& conflict, bool then_mask, Signal signal_at);
  // exclusivity_mask.cpp: the unit file moved aside when in the way, then the mask.
  void mask_duplicate(const std::string& unit, const std::string& role_name, Signal signal_at);
  bool clear_the_way(const std::string& unit, const std::string& role_name);
  [[nodiscard]] std::string fragment_of(const std::string& unit) const;
  void verify_owner(const RoleConfig& role, const Observation& seen);
  void update_fault();
  void schedule_recheck(const std::string& role_name);
  void note_action(Signal signal_at);
  [[nodiscard]] std::vector<EventField> timing_fields(Signal signal_at) const;
  [[nodiscard]] const RoleConfig* role(const std::string& name) const;

  EventLoop& loop_;
  FaultSet& faults_;
  EventSink& sink_;
  UnitJobs& jobs_;
  ExclusivityConfig config_;
  ProcScanner scanner_;
  SystemdUnits systemd_;
  PeriodicTimer timer_;
  OneshotTimer debounce_;
  OneshotTimer rewatch_;  // the next try to follow systemd's signals
  RetryBackoff rewatch_backoff_{kFirstRewatch, kMaxRewatch};
  EventSource recheck_;                     // a check soon after systemd answered a stop
  std::map<std::string, Conflict> active_;  // by Conflict::key()
  std::set<std::string> stopping_;          // units asked to stop while their conflict lasts
  std::set<std::string> masking_;           // units asked to mask while their conflict lasts
  std::set<std::string> released_;          // unmasked by an operator: never masked again
  std::set<std::string> verify_pending_;    // roles stopped for, verified at the recheck
  std::set<std::string> verify_;            // roles whose owner is verified at this check
  std::vector<UnitFact> units_;             // the last survey that succeeded
  bool survey_running_ = false;
  bool check_again_ = false;                    // a signal came while a survey ran
  std::string watch_error_ = "not yet";         // why signals are not watched; "" = watched
  std::string survey_error_;                    // why the last survey failed; "" = it did not
  std::optional<Clock::time_point> signal_at_;  // the first signal not yet checked
  int in_flight_ = 0;                           // stops and masks sent, not yet answered
  std::uint64_t checks_ = 0;
  std::uint64_t signals_ = 0;
  std::int64_t last_check_us_ = 0;           // how long the last check took (without the bus)
  std::int64_t last_survey_us_ = 0;          // how long the last unit survey took
  std::int64_t last_signal_to_act_us_ = -1;  // signal to StopUnit/MaskUnitFiles sent
  Clock::time_point survey_started_{};
};

}  // namespace lifeline::exclusivity
