// Runtime service exclusivity: checks the roles at start and then every interval, reports
// each duplicate once (fault service_conflict + a service_conflict record naming both
// sides and the fix command), and in mode "stop" asks systemd to stop a duplicate service
// (StopUnit through UnitJobs) and then records who holds the role's ports.
// Not yet: checks driven by systemd's unit signals, mode "mask", unit files that would
// start a duplicate at boot (docs/exclusivity.md).
#pragma once

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/event_loop.hpp"
#include "agent/unit_jobs.hpp"
#include "exclusivity/conflicts.hpp"
#include "exclusivity/exclusivity_config.hpp"
#include "exclusivity/proc_scan.hpp"
#include "fault/fault_set.hpp"

namespace lifeline::exclusivity {

class ExclusivityService {
 public:
  ExclusivityService(EventLoop& loop, FaultSet& faults, EventSink& sink, UnitJobs& jobs,
                     ExclusivityConfig config, std::string proc_root = "/proc");
  // Checks once now, then every interval.
  Status start();
  // A reloaded [exclusivity]: the roles apply from the next check.
  void apply(ExclusivityConfig config);
  [[nodiscard]] nlohmann::json status() const;

 private:
  void check();
  void on_new(const Conflict& conflict);
  void on_ended(const Conflict& conflict);
  void stop_duplicate(const Conflict& conflict);
  void verify_owner(const RoleConfig& role, const Observation& seen);
  void update_fault();
  [[nodiscard]] const RoleConfig* role(const std::string& name) const;

  EventLoop& loop_;
  FaultSet& faults_;
  EventSink& sink_;
  UnitJobs& jobs_;
  ExclusivityConfig config_;
  ProcScanner scanner_;
  PeriodicTimer timer_;
  EventSource recheck_;                     // a check soon after systemd answered a stop
  std::map<std::string, Conflict> active_;  // by Conflict::key()
  std::set<std::string> stopping_;          // units asked to stop while their conflict lasts
  std::set<std::string> verify_pending_;    // roles stopped for, verified at the recheck
  std::set<std::string> verify_;            // roles whose owner is verified at this check
  std::uint64_t checks_ = 0;
  std::int64_t last_check_us_ = 0;  // how long the last check took
};

}  // namespace lifeline::exclusivity
