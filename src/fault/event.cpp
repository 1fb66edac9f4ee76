#include "fault/event.hpp"

namespace lifeline {

std::string event_kind_name(EventKind kind) {
  for (const auto& info : kEventKinds) {
    if (info.kind == kind) return std::string(info.name);
  }
  return "unknown_" + std::to_string(static_cast<unsigned>(kind));
}

}  // namespace lifeline
