// The agent's glue for runtime service exclusivity: built after the unit jobs (its "stop"
// mode uses them), started when [[exclusivity.role]] tables exist, and re-applied on reload.
#include "agent/agent.hpp"

namespace lifeline {

void Agent::start_exclusivity() {
  if (config_.exclusivity.roles.empty()) return;
  exclusivity_ = std::make_unique<exclusivity::ExclusivityService>(
      *loop_, *faults_, *recorder_, *unit_jobs_, config_.exclusivity);
  if (auto started = exclusivity_->start(); !started) {
    recorder_->record(Event{EventKind::exclusivity_monitor,
                            std::nullopt,
                            Severity::error,
                            "service exclusivity not running: " + started.error().message,
                            {}});
    exclusivity_.reset();
  }
}

// `lifeline exclusivity release UNIT` unmasked the unit itself, and put back its unit
// file if the mask had moved it aside (it needs root and the bus, and must work without a
// running agent); the running agent records it, since it holds
// the black box, and stops masking that unit.
nlohmann::json Agent::exclusivity_released(const nlohmann::json& request, const std::string& who) {
  const std::string unit = request.value("unit", std::string());
  const std::string detail = request.value("detail", std::string());
  if (unit.empty()) return {{"ok", false}, {"error", "no unit"}};
  if (exclusivity_) exclusivity_->released(unit);
  std::vector<EventField> fields{{"unit", unit}, {"by", who}, {"detail", detail}};
  // The unit file mode "mask" had moved aside, renamed back by the command.
  for (const char* key : {"restored_from", "restored_to"}) {
    const std::string value = request.value(key, std::string());
    if (!value.empty()) fields.push_back({key, value});
  }
  recorder_->record(Event{EventKind::exclusivity_release, std::nullopt, Severity::warning,
                          unit + " released (unmasked) by " + who + ": " + detail,
                          std::move(fields)});
  return {{"ok", true}, {"result", "recorded"}};
}

// Roles, modes and the interval apply at once; adding the first role starts the check and
// removing the last one ends it (and its fault: nothing watches for duplicates any more).
void Agent::reload_exclusivity() {
  if (config_.exclusivity.roles.empty()) {
    if (exclusivity_) faults_->clear(Fault::service_conflict, "no exclusivity roles configured");
    exclusivity_.reset();
    return;
  }
  if (exclusivity_) {
    exclusivity_->apply(config_.exclusivity);
  } else {
    start_exclusivity();
  }
}

}  // namespace lifeline
