#include "agent/safe_state.hpp"

#include <string>

namespace lifeline {

void SafeState::enter(std::string_view reason) {
  for (SafeStateParticipant* participant : participants_) participant->enter_safe_state();
  entered_ = true;
  for (SafeStateParticipant* participant : participants_) participant->after_safe_state(reason);
  std::string names;
  for (SafeStateParticipant* participant : participants_) {
    if (!names.empty()) names += ",";
    names += participant->name();
  }
  sink_.record(Event{EventKind::safe_state_entered,
                     std::nullopt,
                     Severity::warning,
                     "safe state entered: " + std::string(reason),
                     {{"participants", names.empty() ? "none" : names}}});
}

}  // namespace lifeline
