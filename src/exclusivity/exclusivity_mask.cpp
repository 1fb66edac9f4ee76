// ExclusivityService's mask: a hand-installed unit file moved out of the mask's way, then
// MaskUnitFiles, Reload and GetUnitFileState (SystemdUnits::mask), each step recorded.
#include "exclusivity/exclusivity_service.hpp"
#include "exclusivity/unit_file_aside.hpp"

namespace lifeline::exclusivity {

void ExclusivityService::mask_duplicate(const std::string& unit, const std::string& role_name,
                                        Signal signal_at) {
  note_action(signal_at);
  std::vector<EventField> fields{{"unit", unit}, {"role", role_name}, {"masked", "requested"}};
  for (EventField& f : timing_fields(signal_at)) fields.push_back(std::move(f));
  sink_.record(Event{EventKind::duplicate_mask, std::nullopt, Severity::warning,
                     "masking " + unit + ", a duplicate of role " + role_name +
                         " (MaskUnitFiles, persistent; undo: lifeline exclusivity release " + unit +
                         ")",
                     std::move(fields)});
  if (!clear_the_way(unit, role_name)) return;
  auto done = [this, unit, role_name](const MaskResult& result) {
    --in_flight_;
    sink_.record(Event{
        EventKind::duplicate_mask,
        std::nullopt,
        result.masked ? Severity::warning : Severity::error,
        std::string(result.masked ? "masked " : "could NOT mask ") + unit + ": " + result.detail,
        {{"unit", unit},
         {"role", role_name},
         {"masked", result.masked ? "true" : "false"},
         {"detail", result.detail}}});
    schedule_recheck(role_name);
  };
  ++in_flight_;
  if (auto sent = systemd_.mask(unit, std::move(done)); !sent) {
    --in_flight_;
    sink_.record(Event{EventKind::duplicate_mask,
                       std::nullopt,
                       Severity::error,
                       "could not ask systemd to mask " + unit + ": " + sent.error().message,
                       {{"unit", unit}, {"role", role_name}, {"masked", "false"}}});
  }
}

// A regular file at MASK_DIR/UNIT (a unit installed by hand, as on the robots of the
// incidents) makes systemd refuse the mask ("File ... already exists"), and the stopped
// duplicate would come back at the next boot. It is renamed to UNIT.lifeline-masked, which
// `lifeline exclusivity release` puts back. False when it could not be: recorded as
// "could NOT mask", and systemd is not asked (its answer would be the same refusal).
bool ExclusivityService::clear_the_way(const std::string& unit, const std::string& role_name) {
  const AsideResult aside = move_aside(config_.mask_dir, unit);
  const std::string fragment = fragment_of(unit);
  if (!aside.error.empty()) {
    sink_.record(Event{EventKind::duplicate_mask,
                       std::nullopt,
                       Severity::error,
                       "could NOT mask " + unit +
                           ": its unit file is in the way of the mask and could not be moved "
                           "aside: " +
                           aside.error,
                       {{"unit", unit},
                        {"role", role_name},
                        {"masked", "false"},
                        {"moved_from", aside.from},
                        {"moved_to", aside.to},
                        {"fragment", fragment},
                        {"detail", aside.error}}});
    return false;
  }
  if (aside.moved) {
    sink_.record(Event{EventKind::duplicate_mask,
                       std::nullopt,
                       Severity::warning,
                       "moved " + unit + "'s unit file " + aside.from + " aside to " + aside.to +
                           ": systemd will not mask over a regular file (put back by lifeline "
                           "exclusivity release " +
                           unit + ")",
                       {{"unit", unit},
                        {"role", role_name},
                        {"moved_from", aside.from},
                        {"moved_to", aside.to},
                        {"fragment", fragment}}});
  }
  return true;
}

// From the last survey; "" when the unit was not in it or systemd gave no fragment.
std::string ExclusivityService::fragment_of(const std::string& unit) const {
  for (const UnitFact& fact : units_) {
    if (fact.name == unit) return fact.fragment_path;
  }
  return "";
}

}  // namespace lifeline::exclusivity
