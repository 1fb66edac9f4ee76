#include "exclusivity/exclusivity_service.hpp"

#include <chrono>

namespace lifeline::exclusivity {

namespace {

std::string who(const Conflict& c) {
  return c.unit.empty() ? "PID " + std::to_string(c.pid) + " (no unit)"
                        : c.unit + " (PID " + std::to_string(c.pid) + ")";
}

std::vector<EventField> fields_of(const Conflict& c) {
  return {{"role", c.role},       {"kind", std::string(conflict_kind_name(c.kind))},
          {"shared", c.shared},   {"unit", c.unit},
          {"owner", c.owner},     {"pid", std::to_string(c.pid)},
          {"cmdline", c.cmdline}, {"fix", c.fix}};
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
      scanner_(std::move(proc_root)) {}

Status ExclusivityService::start() {
  check();
  return loop_.start_periodic(timer_, "exclusivity-check", config_.interval, [this] { check(); });
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

void ExclusivityService::check() {
  const auto started = std::chrono::steady_clock::now();
  const Observation seen = scanner_.scan(all_ports(config_));
  std::map<std::string, Conflict> now;
  for (Conflict& c : find_conflicts(config_.roles, seen)) now.emplace(c.key(), std::move(c));
  for (const auto& [key, conflict] : active_) {
    if (!now.contains(key)) on_ended(conflict);
  }
  for (const auto& [key, conflict] : now) {
    if (!active_.contains(key)) on_new(conflict);
  }
  active_ = std::move(now);
  // A unit whose duplicates are all gone may be asked again if it comes back.
  std::set<std::string> still;
  for (const auto& [key, c] : active_) {
    if (stopping_.contains(c.unit)) still.insert(c.unit);
  }
  stopping_ = std::move(still);
  for (const auto& [key, c] : active_) {
    const RoleConfig* r = role(c.role);
    if (r != nullptr && r->mode == ExclusivityMode::stop && c.stoppable()) stop_duplicate(c);
  }
  std::set<std::string> verify = std::move(verify_);
  verify_.clear();
  for (const std::string& name : verify) {
    if (const RoleConfig* r = role(name)) verify_owner(*r, seen);
  }
  update_fault();
  ++checks_;
  last_check_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
}

void ExclusivityService::on_new(const Conflict& c) {
  const std::string what = c.kind == ConflictKind::port ? "holds " + c.shared
                           : c.kind == ConflictKind::binary
                               ? "runs " + c.shared
                               : "is an instance too many (" + c.shared + ")";
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

void ExclusivityService::stop_duplicate(const Conflict& c) {
  if (!stopping_.insert(c.unit).second) return;  // asked once per onset
  const std::string unit = c.unit;
  const std::string role_name = c.role;
  auto answered = [this, unit, role_name](const UnitJobResult& result) {
    sink_.record(Event{
        EventKind::duplicate_stop,
        std::nullopt,
        result.accepted ? Severity::warning : Severity::error,
        "systemd " + std::string(result.accepted ? "accepted" : "refused") + " stopping " + unit +
            ": " + result.detail,
        {{"unit", unit}, {"role", role_name}, {"accepted", result.accepted ? "true" : "false"}}});
    if (!result.accepted) return;
    // Verify one second after systemd took the job (a stop takes a moment), not at
    // whichever check happens to come first; and sooner than a whole interval.
    verify_pending_.insert(role_name);
    auto again = loop_.add_oneshot("exclusivity-recheck", std::chrono::seconds(1), [this] {
      verify_.merge(verify_pending_);
      verify_pending_.clear();
      check();
    });
    if (again) recheck_ = std::move(*again);
  };
  sink_.record(
      Event{EventKind::duplicate_stop, std::nullopt, Severity::warning,
            "stopping " + unit + ", a duplicate of role " + c.role + " (owner " + c.owner + ")",
            fields_of(c)});
  if (auto sent = jobs_.request(UnitVerb::stop, unit, std::move(answered)); !sent) {
    sink_.record(Event{EventKind::duplicate_stop,
                       std::nullopt,
                       Severity::error,
                       "could not ask systemd to stop " + unit + ": " + sent.error().message,
                       {{"unit", unit}, {"role", c.role}, {"accepted", "false"}}});
  }
}

void ExclusivityService::verify_owner(const RoleConfig& r, const Observation& seen) {
  bool ok = true;
  std::string text;
  for (const RolePort& port : r.ports) {
    const std::string holders = holders_text(seen, port);
    ok = ok && holders == r.unit;
    text += (text.empty() ? "" : ", ") + port_text(port) + " held by " + holders;
  }
  if (r.ports.empty()) text = "no ports to verify";
  sink_.record(Event{EventKind::owner_verified,
                     std::nullopt,
                     ok ? Severity::info : Severity::warning,
                     std::string(ok ? "owner " : "owner NOT ") + r.unit +
                         " holds the ports of role " + r.name + " after the stop: " + text,
                     {{"role", r.name}, {"owner", r.unit}, {"ok", ok ? "true" : "false"}}});
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
                     {"mode", r.mode == ExclusivityMode::stop ? "stop" : "report"}});
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
                          {"fix", c.fix}});
  }
  return {{"roles", roles},
          {"duplicates", duplicates},
          {"duplicate_count", active_.size()},
          {"checks", checks_},
          {"last_check_us", last_check_us_},
          {"check_interval_ms", config_.interval.count()},
          {"signal_driven", false}};
}

}  // namespace lifeline::exclusivity
