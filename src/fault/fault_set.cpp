#include "fault/fault_set.hpp"

#include <algorithm>

namespace lifeline {

bool FaultSet::raise(Fault fault, const std::string& detail, std::vector<EventField> fields) {
  if (active(fault)) return false;
  const FaultInfo& info = fault_info(fault);
  active_.push_back(ActiveFault{fault, clock_.wall_now(), detail});
  sink_.record(Event{EventKind::fault_raised, fault, info.severity,
                     std::string(info.name) + ": " + detail, std::move(fields)});
  return true;
}

bool FaultSet::clear(Fault fault, const std::string& detail) {
  auto it = std::find_if(active_.begin(), active_.end(),
                         [&](const ActiveFault& a) { return a.fault == fault; });
  if (it == active_.end()) return false;
  active_.erase(it);
  const FaultInfo& info = fault_info(fault);
  sink_.record(Event{EventKind::fault_cleared,
                     fault,
                     Severity::info,
                     std::string(info.name) + " cleared: " + detail,
                     {}});
  return true;
}

bool FaultSet::active(Fault fault) const {
  return std::any_of(active_.begin(), active_.end(),
                     [&](const ActiveFault& a) { return a.fault == fault; });
}

std::optional<Fault> FaultSet::most_severe() const {
  // active_ is in raise order, so among equals the later one is the more recent (wall
  // time could step backwards).
  const ActiveFault* best = nullptr;
  for (const ActiveFault& candidate : active_) {
    if (best == nullptr ||
        fault_info(candidate.fault).severity >= fault_info(best->fault).severity) {
      best = &candidate;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->fault;
}

}  // namespace lifeline
