// The active faults. Raising records one event per onset (not per call), clearing one
// per recovery, so a check failing every second does not flood the black box.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fault/event.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline {

struct ActiveFault {
  Fault fault;
  hal::WallTime since;
  std::string detail;
};

class FaultSet {
 public:
  FaultSet(EventSink& sink, const hal::Clock& clock) : sink_(sink), clock_(clock) {}
  // The clock its records are stamped with; the actions that stamp their own times (the
  // motor stop) read the same one, so a test's fake clock moves them all.
  [[nodiscard]] const hal::Clock& clock() const { return clock_; }
  // Returns true when this call raised it (it was not active).
  bool raise(Fault fault, const std::string& detail, std::vector<EventField> fields = {});
  bool clear(Fault fault, const std::string& detail);
  [[nodiscard]] bool active(Fault fault) const;
  [[nodiscard]] const std::vector<ActiveFault>& active_faults() const { return active_; }
  // Highest severity, then most recent: what the LED shows.
  [[nodiscard]] std::optional<Fault> most_severe() const;

 private:
  EventSink& sink_;
  const hal::Clock& clock_;
  std::vector<ActiveFault> active_;
};

}  // namespace lifeline
