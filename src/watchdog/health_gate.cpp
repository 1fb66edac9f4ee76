#include "watchdog/health_gate.hpp"

#include <cstdio>

namespace lifeline {

namespace {
std::string seconds_text(std::chrono::milliseconds ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buffer;
}
}  // namespace

CheckId HealthGate::add_check(std::string name, std::chrono::milliseconds deadline,
                              hal::MonoTime now, bool essential) {
  checks_.push_back(Check{std::move(name), deadline, now, true, essential, false, {}});
  return checks_.size() - 1;
}

void HealthGate::remove_check(CheckId id) {
  if (id < checks_.size()) checks_[id].removed = true;
}

void HealthGate::report(CheckId id, bool passing, hal::MonoTime now, std::string detail) {
  if (id >= checks_.size() || checks_[id].removed) return;
  Check& check = checks_[id];
  const bool turned_failing = check.passing && !passing;
  check.passing = passing;
  check.last_report = now;
  check.detail = std::move(detail);
  if (turned_failing && counts(check) && on_failure_) on_failure_();
}

bool HealthGate::counts(const Check& check) const {
  return !check.removed && (mode_ == GateMode::normal || check.essential);
}

GateVerdict HealthGate::evaluate(hal::MonoTime now) const {
  for (CheckId id = 0; id < checks_.size(); ++id) {
    const Check& check = checks_[id];
    if (!counts(check)) continue;
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - check.last_report);
    if (age > check.deadline) {
      return {false, id,
              "check '" + check.name + "' stale: no report for " + seconds_text(age) +
                  " (deadline " + seconds_text(check.deadline) + ")"};
    }
    if (!check.passing) {
      return {false, id,
              "check '" + check.name + "' failing" +
                  (check.detail.empty() ? std::string() : ": " + check.detail)};
    }
  }
  return {true, std::nullopt, {}};
}

std::vector<CheckView> HealthGate::view(hal::MonoTime now) const {
  std::vector<CheckView> out;
  for (const Check& check : checks_) {
    if (check.removed) continue;
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - check.last_report);
    out.push_back(CheckView{check.name, check.essential, check.passing, age <= check.deadline, age,
                            check.deadline, check.detail});
  }
  return out;
}

std::optional<CheckId> HealthGate::find(const std::string& name) const {
  for (CheckId id = 0; id < checks_.size(); ++id) {
    if (!checks_[id].removed && checks_[id].name == name) return id;
  }
  return std::nullopt;
}

PetAction PetLatch::on_tick(const GateVerdict& verdict) {
  if (closed_) return PetAction::withhold;
  if (verdict.open) return PetAction::pet;
  closed_ = true;
  return PetAction::close_gate;
}

}  // namespace lifeline
