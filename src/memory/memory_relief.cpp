// The memory guard's actions: what each ladder decision does, in order. Every step is
// recorded; the kill itself is memory_kill.cpp.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "memory/memory_service.hpp"

namespace lifeline::memory {

namespace {

Severity level_severity(Level level) {
  switch (level) {
    case Level::normal:
      return Severity::info;
    case Level::warn:
      return Severity::warning;
    default:
      return Severity::error;
  }
}

}  // namespace

void MemoryService::act(Domain& domain, const LadderDecision& decision) {
  domain.last = decision;
  if (decision.changed()) on_level_change(domain, decision);
  switch (decision.relief) {
    case Relief::none:
      return;
    case Relief::escalate:
      killer_.escalate();
      return;
    case Relief::relieve:
    case Relief::kill_now:
      relieve(domain, decision);
      return;
  }
}

void MemoryService::on_level_change(Domain& domain, const LadderDecision& decision) {
  sink_.record(Event{EventKind::memory_level_changed,
                     std::nullopt,
                     level_severity(decision.level),
                     domain.name + " memory " + std::string(level_name(decision.previous)) +
                         " -> " + std::string(level_name(decision.level)) + ": " + decision.reason,
                     {{"domain", domain.name},
                      {"level", std::string(level_name(decision.level))},
                      {"available_bytes", std::to_string(domain.reading.available_bytes)},
                      {"total_bytes", std::to_string(domain.reading.total_bytes)},
                      {"stalled", domain.reading.stalled ? "true" : "false"},
                      // What woke this sample (the PSI trigger or the timer) and how long
                      // after that wake the change was decided and recorded.
                      {"trigger", std::string(sample_trigger_)},
                      {"wake_to_action_us", std::to_string(micros_since_wake())}}});
  if (decision.level == Level::normal) domain.next_expendable = 0;  // the episode is over
  // The fault first (LED, page, metrics see it now), then the slower /proc scan.
  update_level_faults();
  // Entering warn (or worse) from a better level: what is using the memory, right now.
  if (decision.level > decision.previous) {
    take_snapshot(scanner_.scan(loop_.now()));
    KeptEvent snapshot;
    fill_snapshot(snapshot, domain, "entered " + std::string(level_name(decision.level)), 0);
    sink_.record(snapshot.to_event());
  }
}

void MemoryService::update_level_faults() {
  Level worst = Level::normal;
  const Domain* where = nullptr;
  for (const Domain& d : domains_) {
    if (where == nullptr || d.ladder.level() > worst) {
      worst = d.ladder.level();
      where = &d;
    }
  }
  const std::string detail =
      where == nullptr ? std::string() : where->name + ": " + where->last.reason;
  if (worst >= Level::warn) {
    faults_.raise(Fault::memory_low, detail);
  } else {
    faults_.clear(Fault::memory_low, "memory is back above the warn level");
  }
  if (worst >= Level::relieve) {
    faults_.raise(Fault::memory_relief, detail);
  } else {
    faults_.clear(Fault::memory_relief, "memory is back above the relieve level");
  }
}

void MemoryService::relieve(Domain& domain, const LadderDecision& decision) {
  if (relief_busy()) return;  // another domain's kill is under way; the ladder asks again
  domain.ladder.relief_taken(loop_.now());
  if (decision.relief != Relief::kill_now && restart_expendable(domain, decision)) return;
  kill_victim(domain, decision);
}

bool MemoryService::restart_expendable(Domain& domain, const LadderDecision& decision) {
  if (domain.next_expendable >= config_.expendable_units.size()) return false;
  const std::string unit = config_.expendable_units[domain.next_expendable++];
  const UnitVerb verb = config_.expendable_action == "stop" ? UnitVerb::stop : UnitVerb::restart;
  const std::string what = std::string(verb == UnitVerb::stop ? "stop " : "restart ") + unit;
  std::vector<EventField> fields{{"domain", domain.name},
                                 {"unit", unit},
                                 {"action", config_.expendable_action},
                                 {"dry_run", config_.dry_run ? "true" : "false"}};
  if (config_.dry_run) {
    ++dry_run_actions_;
    sink_.record(Event{EventKind::memory_relief, Fault::memory_relief, Severity::error,
                       "dry run: would " + what + " (" + decision.reason + ")", fields});
    return true;
  }
  ++unit_actions_;
  sink_.record(Event{EventKind::memory_relief, Fault::memory_relief, Severity::error,
                     what + ": " + decision.reason, fields});
  auto sent = jobs_.request(verb, unit, [this, unit](const UnitJobResult& result) {
    sink_.record(Event{EventKind::unit_job,
                       std::nullopt,
                       result.accepted ? Severity::info : Severity::error,
                       result.detail,
                       {{"unit", unit}, {"accepted", result.accepted ? "true" : "false"}}});
  });
  if (!sent) {
    sink_.record(Event{EventKind::unit_job,
                       std::nullopt,
                       Severity::error,
                       sent.error().message,
                       {{"unit", unit}, {"accepted", "false"}}});
    return false;  // no way to ask systemd: fall through to a kill
  }
  return true;
}

void MemoryService::on_victim_gone(const KillOutcome& outcome) {
  sink_.record(Event{EventKind::memory_victim_exited,
                     std::nullopt,
                     Severity::warning,
                     std::to_string(outcome.pid) + " (" + outcome.comm + ") is gone after " +
                         std::to_string(outcome.elapsed.count() / 1000) + " ms" +
                         (outcome.sigkilled ? ", SIGKILLed" : ", on SIGTERM"),
                     {{"pid", std::to_string(outcome.pid)},
                      {"comm", outcome.comm},
                      {"sigkilled", outcome.sigkilled ? "true" : "false"},
                      {"mreleased", outcome.mreleased ? "true" : "false"},
                      {"mrelease_error", outcome.mrelease_error},
                      {"elapsed_us", std::to_string(outcome.elapsed.count())},
                      {"act_page_faults", std::to_string(act_page_faults_)},
                      {"act_heap_grew_bytes", std::to_string(act_heap_grew_)},
                      {"wake_to_signal_us", std::to_string(act_wake_to_signal_.count())}}});
  if (!last_kill_.is_null()) {
    last_kill_["elapsed_ms"] = outcome.elapsed.count() / 1000;
    last_kill_["sigkilled"] = outcome.sigkilled;
  }
  sample();  // see what the kill gave back
}

void MemoryService::on_leak(Domain& domain, const LeakVerdict& verdict) {
  const auto kib_s = static_cast<long long>(verdict.trend.bytes_per_second / 1024);
  std::string detail = domain.name + (verdict.cleared ? " stopped growing (" : " grows ") +
                       std::to_string(kib_s) + " KiB/s" + (verdict.cleared ? ")" : "");
  if (verdict.raised && verdict.eta) {
    detail += ", memory exhausted in about " + std::to_string(verdict.eta->count()) + " s";
  }
  sink_.record(Event{EventKind::memory_leak_changed,
                     verdict.raised ? std::optional<Fault>(Fault::memory_leak) : std::nullopt,
                     verdict.raised ? Severity::warning : Severity::info,
                     detail,
                     {{"domain", domain.name},
                      {"leak", verdict.raised ? "true" : "false"},
                      {"rate_kib_per_s", std::to_string(kib_s)},
                      {"eta_s", verdict.eta ? std::to_string(verdict.eta->count()) : ""},
                      {"used_bytes", std::to_string(domain.used_bytes)}}});
  // One fault for the box: raised while any domain leaks, naming the first that did.
  const bool any = std::any_of(domains_.begin(), domains_.end(),
                               [](const Domain& d) { return d.leak.leaking(); });
  if (verdict.raised) faults_.raise(Fault::memory_leak, detail);
  if (!any) faults_.clear(Fault::memory_leak, "no watched memory grows steadily any more");
}

}  // namespace lifeline::memory
