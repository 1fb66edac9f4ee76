// Where a watch's cgroup is: below the cgroup mount (v2, or v1's memory hierarchy with PSI
// in the unified tree of a hybrid host), and for a `unit =` watch, which cgroup the unit
// runs in. systemd is asked for a system unit's ControlGroup over the bus, asynchronously
// on the loop; a user unit (`user =`) is looked for by name below its user's manager's
// cgroup, which the system manager cannot be asked about. Either happens at start, and
// again while the cgroup watched is absent (the unit is stopped, or was moved to another
// slice and restarted), after 1 s, 2 s, 4 s ... up to every 60 s, and at once at the
// first sample that misses a cgroup that was there; a system unit also at once when
// systemd's JobRemoved says a job for it ended (it started, or restarted elsewhere).
// Until systemd answers, or when it cannot be asked (no system bus), a system unit is
// assumed to be a service without Slice= (/system.slice/UNIT), a user unit one in the
// manager's app.slice; the status and one record say why.
#include <algorithm>
#include <filesystem>

#include "agent/unit_cgroup.hpp"
#include "memory/cgroup_search.hpp"
#include "memory/memory_service.hpp"

namespace lifeline::memory {

namespace {

// The unified (v2) hierarchy is mounted at `cgroup_root`; else memory is v1's.
bool unified(const std::string& cgroup_root) {
  std::error_code ec;
  return std::filesystem::exists(cgroup_root + "/cgroup.controllers", ec);
}

// Where memory is accounted: the v2 tree, or v1's memory hierarchy.
std::string memory_mount(const std::string& cgroup_root) {
  return unified(cgroup_root) ? cgroup_root : cgroup_root + "/memory";
}

}  // namespace

void MemoryService::place_cgroup(Domain& d, std::string cgroup) {
  d.cgroup = std::move(cgroup);
  d.cgroup_dir.clear();
  d.pressure_file.clear();
  d.psi.reset();
  d.psi_retry.reset();
  if (d.cgroup.empty()) return;
  d.v2 = unified(paths_.cgroup_root);
  d.cgroup_dir = memory_mount(paths_.cgroup_root) + d.cgroup;
  if (d.v2) {
    d.pressure_file = d.cgroup_dir + "/memory.pressure";
  } else if (unified(paths_.cgroup_root + "/unified")) {
    // A hybrid host: memory is accounted in v1, but PSI is kept per task in the unified
    // tree, where systemd mirrors every unit's cgroup.
    d.pressure_file = paths_.cgroup_root + "/unified" + d.cgroup + "/memory.pressure";
  }
}

void MemoryService::lookup_unit_cgroup(Domain& domain) {
  UnitCgroupLookup& lookup = domain.lookup;
  if (lookup.unit.empty() || lookup.asking) return;
  const hal::MonoTime now = loop_.now();
  if (!lookup.retry.due(now)) return;
  // The next question waits whatever the answer; a cgroup found present resets the wait.
  lookup.retry.failed(now);
  if (!lookup.user.empty()) {
    find_user_unit_cgroup(domain);
    return;
  }
  const auto index = static_cast<std::size_t>(&domain - domains_.data());
  const std::weak_ptr<char> alive = alive_;
  auto sent = jobs_.control_group(lookup.unit, [this, alive, index](Expected<std::string> answer) {
    if (alive.expired()) return;
    on_unit_cgroup(index, std::move(answer));
  });
  if (!sent) {
    on_unit_cgroup(index, sent.error());
    return;
  }
  lookup.asking = true;
}

// A system unit's start (or restart) ends with systemd's JobRemoved for it: that is when
// its new cgroup exists, so it is asked about then rather than at the back-off's next
// step, which may be up to 60 s away. The back-off stays as the fallback (no bus, a missed
// signal). A user unit's jobs are its own manager's, not on the system bus.
void MemoryService::follow_unit_jobs() {
  const bool any = std::any_of(domains_.begin(), domains_.end(), [](const Domain& d) {
    return !d.lookup.unit.empty() && d.lookup.user.empty();
  });
  if (!any) return;
  const std::weak_ptr<char> alive = alive_;
  // Without a bus now, the first lookup that connects starts following (recorded there).
  (void)jobs_.on_job_removed([this, alive](std::string_view unit, std::string_view result) {
    if (alive.expired()) return;
    on_unit_job(unit, result);
  });
}

void MemoryService::on_unit_job(std::string_view unit, std::string_view /*result*/) {
  for (Domain& domain : domains_) {
    UnitCgroupLookup& lookup = domain.lookup;
    if (lookup.unit != unit || !lookup.user.empty()) continue;
    lookup.retry.reset();  // due now
    ++lookup.job_signals;
    // An answer on its way may predate the job: ask once more when it comes.
    if (lookup.asking) {
      lookup.ask_again = true;
      continue;
    }
    lookup_unit_cgroup(domain);
  }
}

// Up to 3 levels below the manager: app.slice/UNIT, or a unit in a slice of its own
// inside one of the manager's slices.
void MemoryService::find_user_unit_cgroup(Domain& domain) {
  constexpr int kDepth = 3;
  UnitCgroupLookup& lookup = domain.lookup;
  const auto index = static_cast<std::size_t>(&domain - domains_.data());
  if (!lookup.uid) lookup.uid = user_id(lookup.user);
  if (!lookup.uid) {
    on_unit_cgroup(index, Error{ENOENT, "there is no user " + lookup.user + " on this machine"});
    return;
  }
  // Where place_cgroup() will read it.
  auto found = find_cgroup_named(memory_mount(paths_.cgroup_root), user_manager_cgroup(*lookup.uid),
                                 lookup.unit, kDepth);
  on_unit_cgroup(index, found ? std::move(*found) : std::string());
}

void MemoryService::on_unit_cgroup(std::size_t index, Expected<std::string> answer) {
  if (index >= domains_.size()) return;
  Domain& d = domains_[index];
  UnitCgroupLookup& lookup = d.lookup;
  lookup.asking = false;
  if (lookup.ask_again) {
    lookup.ask_again = false;
    lookup.retry.reset();
    lookup_unit_cgroup(d);  // the newer question's answer is the one that counts
    return;
  }
  if (!answer) {
    lookup.problem = answer.error().message;
    if (lookup.problem_said) return;
    lookup.problem_said = true;
    sink_.record(Event{EventKind::memory_monitor,
                       std::nullopt,
                       Severity::warning,
                       d.name + ": cannot " + (lookup.user.empty() ? "ask systemd" : "find") +
                           " where " + lookup.unit + " runs: " + lookup.problem + "; watching " +
                           (d.cgroup.empty() ? "nothing" : d.cgroup) +
                           " meanwhile (asked again while that cgroup is absent)",
                       {{"domain", d.name}, {"unit", lookup.unit}, {"cgroup", d.cgroup}}});
    return;
  }
  lookup.problem.clear();
  lookup.problem_said = false;
  if (answer->empty()) return;  // no cgroup: not running; asked again while it is absent
  lookup.confirmed = true;
  if (*answer == d.cgroup) return;
  const std::string before = d.cgroup;
  place_cgroup(d, std::move(*answer));
  sink_.record(Event{EventKind::memory_monitor,
                     std::nullopt,
                     Severity::info,
                     d.name + ": " + lookup.unit + " runs in " + d.cgroup + " (" +
                         (lookup.user.empty() ? std::string("systemd's ControlGroup")
                                              : "found below " + lookup.user + "'s manager") +
                         "; was " + (before.empty() ? "unknown" : before) + ")",
                     {{"domain", d.name}, {"unit", lookup.unit}, {"cgroup", d.cgroup}}});
}

}  // namespace lifeline::memory
