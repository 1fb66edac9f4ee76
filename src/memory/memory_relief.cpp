// The memory guard's actions: what each ladder decision does, in order. Every step is
// recorded; a kill is recorded (snapshot and reason, synced) before the signal is sent.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "memory/act_reserve.hpp"
#include "memory/memory_service.hpp"
#include "util/files.hpp"

namespace lifeline::memory {

std::string snapshot_line(const ProcessInfo& p) {
  char line[160];
  std::snprintf(line, sizeof line, "%d %s rss=%llu KiB anon=%llu KiB", p.pid, p.comm.c_str(),
                static_cast<unsigned long long>(p.rss_kb),
                static_cast<unsigned long long>(p.anon_kb));
  return std::string(line) + " cgroup=" + p.cgroup;
}

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
    auto table = scanner_.scan(loop_.now());
    record_snapshot(domain, "entered " + std::string(level_name(decision.level)), table);
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

void MemoryService::record_snapshot(const Domain& domain, const std::string& why,
                                    const std::vector<ProcessInfo>& table) {
  last_top_ = top_by_rss(table, config_.top_n);
  for (ProcessInfo& p : last_top_) {
    if (p.cgroup.empty()) scanner_.fill_details(p);  // a cheap scan's row
  }
  std::vector<EventField> fields{
      {"domain", domain.name},
      {"available_bytes", std::to_string(domain.reading.available_bytes)},
      {"total_bytes", std::to_string(domain.reading.total_bytes)}};
  for (std::size_t i = 0; i < last_top_.size(); ++i) {
    fields.push_back({"top" + std::to_string(i + 1), snapshot_line(last_top_[i])});
  }
  sink_.record(Event{
      EventKind::memory_snapshot, std::nullopt, Severity::warning,
      "top " + std::to_string(last_top_.size()) + " by RSS (" + domain.name + ", " + why + ")",
      std::move(fields)});
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

void MemoryService::kill_victim(Domain& domain, const LadderDecision& decision) {
  const std::size_t heap_at_decision = heap_from_kernel();
  const auto [table, victim] = find_victim(domain);
  if (!still_short(domain)) {
    // Between the sample and now (the scan takes a while on a busy box) memory came back:
    // the hog exited, or another killer got there first. Killing the next largest now
    // would punish a bystander (seen in the VM tier beside earlyoom).
    sink_.record(Event{EventKind::memory_relief,
                       std::nullopt,
                       Severity::warning,
                       "relief called off: " + domain.name + " memory is back to " +
                           std::to_string(static_cast<int>(available_share(domain.reading))) +
                           "% available before anything was killed",
                       {{"domain", domain.name},
                        {"available_bytes", std::to_string(domain.reading.available_bytes)},
                        {"called_off", "true"}}});
    return;
  }
  const bool now = decision.relief == Relief::kill_now;
  const std::string how =
      now ? "SIGKILL" : "SIGTERM, SIGKILL after " + std::to_string(config_.grace.count()) + " ms";
  if (!victim) {
    record_snapshot(domain, "no process may be killed", table);
    sink_.record(Event{EventKind::memory_relief,
                       Fault::memory_relief,
                       Severity::error,
                       "nothing to kill in " + domain.name + ": every process is protected (" +
                           decision.reason + ")",
                       {{"domain", domain.name}}});
    return;
  }
  const ProcessInfo v = victim->process;
  std::vector<EventField> fields{
      {"domain", domain.name},
      {"pid", std::to_string(v.pid)},
      {"comm", v.comm},
      {"exe", v.exe},
      {"cgroup", v.cgroup},
      {"rss_kb", std::to_string(v.rss_kb)},
      {"available_bytes", std::to_string(domain.reading.available_bytes)},
      {"total_bytes", std::to_string(domain.reading.total_bytes)},
      {"choice", victim->reason},
      {"signal", how},
      {"trigger", std::string(sample_trigger_)},
      {"wake_to_decision_us", std::to_string(micros_since_wake())},
      {"dry_run", config_.dry_run ? "true" : "false"}};
  record_snapshot(domain, "before killing " + std::to_string(v.pid), table);
  const std::string message = (config_.dry_run ? "dry run: would kill " : "killing ") +
                              std::to_string(v.pid) + " (" + v.comm + "), " + victim->reason +
                              ": " + decision.reason;
  sink_.record(
      Event{EventKind::memory_relief, Fault::memory_relief, Severity::error, message, fields});
  if (config_.dry_run) {
    ++dry_run_actions_;
    return;
  }
  const std::string reason = decision.reason;
  const auto grace = now ? std::chrono::milliseconds(0) : config_.grace;
  after_record_settles([this, v, reason, grace, domain_name = domain.name,
                        faults_at_wake = faults_at_wake_, heap_at_decision, woke = sample_woke_] {
    if (hooks_.before_kill) hooks_.before_kill(v, reason);
    if (auto killed = killer_.kill(v.pid, v.comm, grace); !killed) {
      sink_.record(
          Event{EventKind::memory_relief,
                Fault::memory_relief,
                Severity::error,
                "kill of " + std::to_string(v.pid) + " not sent: " + killed.error().message,
                {{"domain", domain_name}, {"pid", std::to_string(v.pid)}}});
      return;
    }
    act_page_faults_ = thread_page_faults() - faults_at_wake;
    act_heap_grew_ =
        static_cast<std::int64_t>(heap_from_kernel()) - static_cast<std::int64_t>(heap_at_decision);
    act_wake_to_signal_ = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - woke);
    ++lifeline_kills_;
    last_kill_ = {{"pid", v.pid},
                  {"comm", v.comm},
                  {"rss_kb", v.rss_kb},
                  {"cgroup", v.cgroup},
                  {"domain", domain_name},
                  {"reason", reason},
                  {"act_page_faults", act_page_faults_},
                  {"act_heap_grew_bytes", act_heap_grew_}};
  });
}

// Reads the domain again just before a kill; true while it is still below the warn level.
bool MemoryService::still_short(Domain& domain) {
  if (&domain == &domains_.front()) {
    // MemAvailable only: the trend and counters stay with the timed samples.
    const auto info = read_meminfo();
    if (!info) return true;  // cannot tell: act on what was seen
    domain.reading.available_bytes = info->mem_available_kb * 1024;
  } else {
    sample_watch(domain, loop_.now());
  }
  if (domain.reading.total_bytes == 0) return true;
  return available_share(domain.reading) < static_cast<double>(config_.warn_available_percent);
}

// A watch's victims come from its own cgroup (a few processes, read in full). The box's
// come from a cheap scan of every process, sorted by preference, with details (cgroup,
// exe, oom_score_adj) read only for as many as it takes to find one that is not protected.
std::pair<std::vector<ProcessInfo>, std::optional<VictimChoice>> MemoryService::find_victim(
    const Domain& domain) {
  ProtectRules rules = protect_rules_;
  rules.scope_cgroup = domain.cgroup.empty() ? config_.victim_cgroup : domain.cgroup;
  const VictimOrder order =
      config_.victim == "fastest" ? VictimOrder::fastest : VictimOrder::largest;
  if (!domain.cgroup.empty()) {
    auto table = scanner_.scan_cgroup(domain.cgroup_dir, loop_.now());
    auto victim = choose_victim(table, rules, order);
    return {std::move(table), std::move(victim)};
  }
  auto table = scanner_.scan(loop_.now());
  std::sort(table.begin(), table.end(), [order](const ProcessInfo& a, const ProcessInfo& b) {
    return victim_before(a, b, order);
  });
  constexpr std::size_t kChunk = 16;
  for (std::size_t from = 0; from < table.size(); from += kChunk) {
    const std::size_t to = std::min(table.size(), from + kChunk);
    for (std::size_t i = from; i < to; ++i) scanner_.fill_details(table[i]);
    auto victim = choose_victim(std::span(table).subspan(from, to - from), rules, order);
    if (victim) return {std::move(table), std::move(victim)};
  }
  return {std::move(table), std::nullopt};
}

void MemoryService::after_record_settles(std::function<void()> then) {
  after_settle_ = std::move(then);
  if (blackbox_ == nullptr || config_.record_wait.count() == 0 || blackbox_->settle_fd() < 0) {
    on_record_settled();
    return;
  }
  settle_ticket_ = blackbox_->accepted();
  if (blackbox_->settled() >= settle_ticket_) {
    on_record_settled();
    return;
  }
  if (!settle_source_.valid()) {
    auto source = loop_.add_io("memory-record-settled", blackbox_->settle_fd(), EPOLLIN,
                               [this](std::uint32_t) {
                                 std::uint64_t count = 0;
                                 (void)!::read(blackbox_->settle_fd(), &count, sizeof count);
                                 if (after_settle_ && blackbox_->settled() >= settle_ticket_) {
                                   on_record_settled();
                                 }
                               });
    if (!source) {
      on_record_settled();
      return;
    }
    settle_source_ = std::move(*source);
  }
  record_deadline_.arm_after(config_.record_wait);
}

void MemoryService::on_record_settled() {
  record_deadline_.disarm();
  if (!after_settle_) return;
  auto then = std::move(after_settle_);
  after_settle_ = nullptr;
  then();
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
