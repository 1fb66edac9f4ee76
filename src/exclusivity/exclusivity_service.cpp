#include "exclusivity/exclusivity_service.hpp"

#include <chrono>

namespace lifeline::exclusivity {

namespace {

std::string who(const Conflict& c) {
  if (c.unit.empty()) return "PID " + std::to_string(c.pid) + " (no unit)";
  return c.pid == 0 ? c.unit : c.unit + " (PID " + std::to_string(c.pid) + ")";
}

std::vector<EventField> fields_of(const Conflict& c) {
  std::vector<EventField> out{
      {"role", c.role},       {"kind", std::string(conflict_kind_name(c.kind))},
      {"shared", c.shared},   {"unit", c.unit},
      {"owner", c.owner},     {"pid", std::to_string(c.pid)},
      {"cmdline", c.cmdline}, {"fix", c.fix}};
  if (!c.boot.empty()) out.push_back({"boot", c.boot});
  return out;
}

std::vector<RolePort> all_ports(const ExclusivityConfig& config) {
  std::vector<RolePort> out;
  for (const RoleConfig& role : config.roles)
    out.insert(out.end(), role.ports.begin(), role.ports.end());
  return out;
}

}  // namespace

ExclusivityService::ExclusivityService(EventLoop& loop, FaultSet& faults, EventSink& sink,
                                       UnitJobs& jobs, ExclusivityConfig config,
                                       std::string proc_root)
    : loop_(loop),
      faults_(faults),
      sink_(sink),
      jobs_(jobs),
      config_(std::move(config)),
      scanner_(std::move(proc_root)),
      systemd_(loop) {}

Status ExclusivityService::start(bool follow_signals) {
  if (auto prepared =
          loop_.prepare_oneshot(debounce_, "exclusivity-debounce", [this] { begin_check(); });
      !prepared) {
    return prepared;
  }
  if (auto prepared = loop_.prepare_oneshot(rewatch_, "exclusivity-rewatch", [this] { watch(); });
      !prepared) {
    return prepared;
  }
  if (follow_signals) watch();
  begin_check();
  return loop_.start_periodic(timer_, "exclusivity-sweep", config_.interval,
                              [this, follow_signals] {
                                if (follow_signals && !systemd_.watching())
                                  watch();  // also retried on a back-off
                                // What no signal announced (a unit file copied in by hand).
                                systemd_.forget();
                                begin_check();
                              });
}

// Signals are how a new duplicate unit is seen at once; without them only the sweep finds
// it. Said once per change, not at every sweep.
void ExclusivityService::watch() {
  auto watched = systemd_.watch([this](std::string_view signal) { on_signal(signal); },
                                [this](const std::string& error) { report_watch(error); });
  if (!watched) report_watch(watched.error().message);
}

// At boot lifeline starts before dbus.service; a dbus restart or a systemd re-exec ends a
// subscription too. The sweep would notice only minutes later.
void ExclusivityService::schedule_rewatch() {
  if (rewatch_.armed()) return;
  rewatch_backoff_.failed(loop_.now());
  rewatch_.arm_after(rewatch_backoff_.wait());
}

void ExclusivityService::report_watch(const std::string& error) {
  if (!error.empty()) {
    schedule_rewatch();
  } else if (!watch_error_.empty() && watch_error_ != "not yet") {
    // Followed again after a gap: what changed meanwhile was not signalled.
    rewatch_backoff_.reset();
    begin_check();
  } else {
    rewatch_backoff_.reset();
  }
  if (error == watch_error_) return;
  watch_error_ = error;
  sink_.record(Event{EventKind::exclusivity_monitor,
                     std::nullopt,
                     error.empty() ? Severity::info : Severity::warning,
                     error.empty()
                         ? "exclusivity checks follow systemd's unit signals"
                         : "exclusivity checks only on the sweep every " +
                               std::to_string(config_.interval.count() / 1000) + " s: " + error,
                     {{"signals", error.empty() ? "true" : "false"}}});
}

void ExclusivityService::on_signal(std::string_view signal) {
  if (signal == SystemdUnits::kLost) {
    report_watch("systemd's signals were lost (the bus dropped or systemd re-executed)");
    return;
  }
  ++signals_;
  if (!signal_at_) signal_at_ = Clock::now();
  // A burst (a daemon-reload, boot's job storm) is one check: the first signal arms it.
  if (!debounce_.armed()) debounce_.arm_after(kDebounce);
}

bool ExclusivityService::settled() const {
  return checks_ > 0 && !survey_running_ && in_flight_ == 0 && !debounce_.armed() &&
         verify_pending_.empty();
}

void ExclusivityService::released(const std::string& unit) {
  released_.insert(unit);
  masking_.erase(unit);
}

void ExclusivityService::apply(ExclusivityConfig config) {
  const bool interval_changed = config.interval != config_.interval;
  config_ = std::move(config);
  if (interval_changed) timer_.set_period(config_.interval);
}

const RoleConfig* ExclusivityService::role(const std::string& name) const {
  for (const RoleConfig& r : config_.roles) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// Reads the units (asynchronous), then checks. One survey at a time; a signal during one
// asks for another after it.
void ExclusivityService::begin_check() {
  if (survey_running_) {
    check_again_ = true;
    return;
  }
  const std::optional<Clock::time_point> signal_at = signal_at_;
  signal_at_.reset();
  survey_running_ = true;
  survey_started_ = Clock::now();
  auto sent = systemd_.survey([this, signal_at](Expected<std::vector<UnitFact>> units) {
    survey_running_ = false;
    last_survey_us_ =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - survey_started_)
            .count();
    if (units) {
      units_ = std::move(*units);
      survey_error_.clear();
    } else {
      survey_error_ = units.error().message;  // the last good units stand meanwhile
    }
    check(signal_at);
    if (check_again_) {
      check_again_ = false;
      begin_check();
    }
  });
  if (!sent) {
    survey_running_ = false;
    survey_error_ = sent.error().message;
    check(signal_at);
  }
}

void ExclusivityService::check(Signal signal_at) {
  const auto started = Clock::now();
  Observation seen = scanner_.scan(all_ports(config_));
  seen.units = units_;
  std::map<std::string, Conflict> now;
  for (Conflict& c : find_conflicts(config_.roles, seen)) now.emplace(c.key(), std::move(c));
  for (const auto& [key, conflict] : active_) {
    if (!now.contains(key)) on_ended(conflict);
  }
  for (const auto& [key, conflict] : now) {
    if (!active_.contains(key)) on_new(conflict);
  }
  active_ = std::move(now);
  // A unit whose duplicates are all gone may be acted on again if it comes back.
  std::set<std::string> still_stopping;
  std::set<std::string> still_masking;
  for (const auto& [key, c] : active_) {
    if (stopping_.contains(c.unit)) still_stopping.insert(c.unit);
    if (masking_.contains(c.unit)) still_masking.insert(c.unit);
  }
  stopping_ = std::move(still_stopping);
  masking_ = std::move(still_masking);
  for (const auto& [key, c] : active_) {
    const RoleConfig* r = role(c.role);
    if (r == nullptr || !c.stoppable()) continue;
    if (r->mode == ExclusivityMode::stop && c.running()) stop_duplicate(c, false, signal_at);
    if (r->mode == ExclusivityMode::mask && !released_.contains(c.unit)) {
      if (c.running()) {
        stop_duplicate(c, true, signal_at);
      } else if (masking_.insert(c.unit).second) {
        mask_duplicate(c.unit, c.role, signal_at);
      }
    }
  }
  std::set<std::string> verify = std::move(verify_);
  verify_.clear();
  for (const std::string& name : verify) {
    if (const RoleConfig* r = role(name)) verify_owner(*r, seen);
  }
  update_fault();
  ++checks_;
  last_check_us_ =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
}

// How long after systemd's signal this action was sent, when a signal caused the check.
std::vector<EventField> ExclusivityService::timing_fields(Signal signal_at) const {
  if (!signal_at) return {{"trigger", "start or sweep"}};
  return {{"trigger", "signal"}, {"since_signal_us", std::to_string(last_signal_to_act_us_)}};
}

void ExclusivityService::on_new(const Conflict& c) {
  std::string what = c.kind == ConflictKind::port     ? "holds " + c.shared
                     : c.kind == ConflictKind::binary ? "runs " + c.shared
                     : c.kind == ConflictKind::boot
                         ? "is not running but would run " + c.shared + " (" + c.boot + ")"
                         : "is an instance too many (" + c.shared + ")";
  if (c.kind != ConflictKind::boot && !c.boot.empty()) what += " and is " + c.boot;
  sink_.record(Event{EventKind::service_conflict, Fault::service_conflict, Severity::error,
                     "duplicate of role " + c.role + ": " + who(c) + " " + what +
                         ", which belongs to " + c.owner + "; fix: " + c.fix,
                     fields_of(c)});
}

void ExclusivityService::on_ended(const Conflict& c) {
  sink_.record(Event{EventKind::service_conflict_ended, std::nullopt, Severity::info,
                     "duplicate of role " + c.role + " gone: " + who(c) + " (" + c.shared + ")",
                     fields_of(c)});
}

void ExclusivityService::stop_duplicate(const Conflict& c, bool then_mask, Signal signal_at) {
  if (!stopping_.insert(c.unit).second) return;  // asked once per onset
  if (then_mask) masking_.insert(c.unit);
  const std::string unit = c.unit;
  const std::string role_name = c.role;
  auto answered = [this, unit, role_name, then_mask, signal_at](const UnitJobResult& result) {
    --in_flight_;
    sink_.record(Event{
        EventKind::duplicate_stop,
        std::nullopt,
        result.accepted ? Severity::warning : Severity::error,
        "systemd " + std::string(result.accepted ? "accepted" : "refused") + " stopping " + unit +
            ": " + result.detail,
        {{"unit", unit}, {"role", role_name}, {"accepted", result.accepted ? "true" : "false"}}});
    // Masked even when the stop was refused: the unit must not come back at boot.
    if (then_mask) mask_duplicate(unit, role_name, signal_at);
    if (result.accepted && !then_mask) schedule_recheck(role_name);
  };
  note_action(signal_at);
  std::vector<EventField> fields = fields_of(c);
  for (EventField& f : timing_fields(signal_at)) fields.push_back(std::move(f));
  sink_.record(
      Event{EventKind::duplicate_stop, std::nullopt, Severity::warning,
            "stopping " + unit + ", a duplicate of role " + c.role + " (owner " + c.owner + ")",
            std::move(fields)});
  ++in_flight_;
  if (auto sent = jobs_.request(UnitVerb::stop, unit, std::move(answered)); !sent) {
    --in_flight_;
    sink_.record(Event{EventKind::duplicate_stop,
                       std::nullopt,
                       Severity::error,
                       "could not ask systemd to stop " + unit + ": " + sent.error().message,
                       {{"unit", unit}, {"role", c.role}, {"accepted", "false"}}});
    if (then_mask) mask_duplicate(unit, c.role, signal_at);
  }
}

void ExclusivityService::note_action(Signal signal_at) {
  if (signal_at) {
    last_signal_to_act_us_ =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - *signal_at).count();
  }
}

// Verify one second after systemd took the job (a stop takes a moment), not at whichever
// check happens to come first; and sooner than a whole sweep.
void ExclusivityService::schedule_recheck(const std::string& role_name) {
  verify_pending_.insert(role_name);
  auto again = loop_.add_oneshot("exclusivity-recheck", std::chrono::seconds(1), [this] {
    verify_.merge(verify_pending_);
    verify_pending_.clear();
    begin_check();
  });
  if (again) recheck_ = std::move(*again);
}

void ExclusivityService::verify_owner(const RoleConfig& r, const Observation& seen) {
  using Result = OwnerVerdict::Result;
  const OwnerVerdict verdict = owner_verdict(r, seen);
  std::string message;
  std::string ok = "true";
  switch (verdict.result) {
    case Result::holds:
    case Result::no_ports:
      message = "owner " + r.unit + " holds the ports of role " + r.name + " after the stop: ";
      break;
    case Result::not_holding:
      message = "owner NOT " + r.unit + " holds the ports of role " + r.name + " after the stop: ";
      ok = "false";
      break;
    case Result::owner_idle:  // at boot, before the app: checked again once it runs
      message = "ports of role " + r.name + " not verified, the owner is not running: ";
      ok = "not-running";
      break;
  }
  sink_.record(Event{EventKind::owner_verified,
                     std::nullopt,
                     verdict.result == Result::not_holding ? Severity::warning : Severity::info,
                     message + verdict.text,
                     {{"role", r.name}, {"owner", r.unit}, {"ok", ok}}});
}

void ExclusivityService::update_fault() {
  if (active_.empty()) {
    faults_.clear(Fault::service_conflict, "no duplicate left");
    return;
  }
  const Conflict& first = active_.begin()->second;
  faults_.raise(Fault::service_conflict, std::to_string(active_.size()) + " duplicate(s); " +
                                             who(first) + " vs " + first.owner + " (" +
                                             first.shared + "): " + first.fix);
}

nlohmann::json ExclusivityService::status() const {
  nlohmann::json roles = nlohmann::json::array();
  for (const RoleConfig& r : config_.roles) {
    nlohmann::json ports = nlohmann::json::array();
    for (const RolePort& p : r.ports) ports.push_back(port_text(p));
    roles.push_back({{"name", r.name},
                     {"owner", r.unit},
                     {"ports", ports},
                     {"binaries", r.binaries},
                     {"mode", mode_text(r.mode)}});
  }
  nlohmann::json duplicates = nlohmann::json::array();
  for (const auto& [key, c] : active_) {
    duplicates.push_back({{"name", who(c) + " " + c.shared},
                          {"role", c.role},
                          {"kind", conflict_kind_name(c.kind)},
                          {"shared", c.shared},
                          {"unit", c.unit},
                          {"owner", c.owner},
                          {"pid", c.pid},
                          {"cmdline", c.cmdline},
                          {"fix", c.fix},
                          {"boot", c.boot}});
  }
  return {{"roles", roles},
          {"duplicates", duplicates},
          {"duplicate_count", active_.size()},
          {"checks", checks_},
          {"last_check_us", last_check_us_},
          {"check_interval_ms", config_.interval.count()},
          {"signal_driven", systemd_.watching()},
          {"signals", signals_},
          {"units_seen", units_.size()},
          {"units_read_last_survey", systemd_.last_read()},
          {"last_survey_us", last_survey_us_},
          {"survey_error", survey_error_},
          {"last_signal_to_action_us", last_signal_to_act_us_}};
}

}  // namespace lifeline::exclusivity
