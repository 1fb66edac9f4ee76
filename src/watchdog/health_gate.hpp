// The health gate: the watchdog is petted only while every registered check is fresh
// and passing. Pure: times come in as values, nothing here reads a clock or a file.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lifeline/hal/clock.hpp"

namespace lifeline {

using CheckId = std::size_t;

struct CheckView {
  std::string name;
  bool essential = false;  // still counted in lockout (the loop's own liveness)
  bool passing = false;
  bool fresh = false;
  std::chrono::milliseconds age{0};  // since the last report
  std::chrono::milliseconds deadline{0};
  std::string detail;
};

struct GateVerdict {
  bool open = true;
  std::optional<CheckId> culprit;  // the first failing or stale check
  std::string reason;              // "check 'app-alive' failing: file is 7.2 s old"
};

enum class GateMode { normal, lockout };

class HealthGate {
 public:
  // A new check counts as fresh for one deadline from `now`, so start-up has time to
  // produce a first report; it starts passing until that report says otherwise.
  CheckId add_check(std::string name, std::chrono::milliseconds deadline, hal::MonoTime now,
                    bool essential = false);
  // Removes a check (config reload). Ids of other checks stay valid.
  void remove_check(CheckId id);
  void report(CheckId id, bool passing, hal::MonoTime now, std::string detail = {});
  void set_mode(GateMode mode) { mode_ = mode; }
  // Called from report() when a counted check turns from passing to failing, so the
  // watchdog can act at once instead of at its next pet tick.
  void on_failure(std::function<void()> listener) { on_failure_ = std::move(listener); }
  [[nodiscard]] GateMode mode() const { return mode_; }

  [[nodiscard]] GateVerdict evaluate(hal::MonoTime now) const;
  [[nodiscard]] std::vector<CheckView> view(hal::MonoTime now) const;
  [[nodiscard]] std::optional<CheckId> find(const std::string& name) const;

 private:
  struct Check {
    std::string name;
    std::chrono::milliseconds deadline;
    hal::MonoTime last_report;
    bool passing = true;
    bool essential = false;
    bool removed = false;
    std::string detail;
  };
  [[nodiscard]] bool counts(const Check& check) const;
  std::vector<Check> checks_;
  std::function<void()> on_failure_;
  GateMode mode_ = GateMode::normal;
};

// What the pet timer does on each tick. Latched: once the gate closes, petting never
// resumes in this process — a flapping system must reset, not limp on.
enum class PetAction { pet, close_gate, withhold };

class PetLatch {
 public:
  PetAction on_tick(const GateVerdict& verdict);
  [[nodiscard]] bool closed() const { return closed_; }

 private:
  bool closed_ = false;
};

}  // namespace lifeline
