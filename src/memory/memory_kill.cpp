// The memory guard's kill, from the ladder's decision to the signal: scan, choose, look
// again, record (the snapshot and the reason, synced), signal. Nothing on that path
// allocates: the process table, the descriptions, the two records and the pending kill
// are the service's own, made at start, and the records go to the black box as
// KeptEvents. Everything else a kill tells (journal, console, page, status) follows the
// signal. tests/host/memory_act_alloc_host_test.cpp counts the allocations.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "memory/act_reserve.hpp"
#include "memory/memory_service.hpp"

namespace lifeline::memory {

namespace {

// Details are read for this many rows at a time, in preference order, until one of them
// may be killed: on a busy box most of the table is never described.
constexpr std::size_t kChunk = 16;

void append_snapshot_line(KeptEvent::Value value, const ProcessInfo& p) {
  value << p.pid << " " << p.comm.view() << " rss=" << p.rss_kb << " KiB anon=" << p.anon_kb
        << " KiB cgroup=" << p.cgroup.view();
}

}  // namespace

void MemoryService::prepare_kill_path() {
  order_.resize(scanner_.capacity());
  candidates_.resize(kChunk);
  top_.resize(std::max<std::size_t>(config_.top_n, 1));
  if (blackbox_ != nullptr && blackbox_->settle_fd() >= 0) {
    auto source = loop_.add_io("memory-record-settled", blackbox_->settle_fd(), EPOLLIN,
                               [this](std::uint32_t) {
                                 std::uint64_t count = 0;
                                 (void)!::read(blackbox_->settle_fd(), &count, sizeof count);
                                 if (pending_.waiting && blackbox_->settled() >= settle_ticket_) {
                                   send_kill();
                                 }
                               });
    if (source) settle_source_ = std::move(*source);
  }
}

std::span<ScanRow> MemoryService::scan_domain(const Domain& domain) {
  return domain.cgroup.empty() ? scanner_.scan(loop_.now())
                               : scanner_.scan_cgroup(domain.cgroup_dir, loop_.now());
}

// A watch's victims come from its own cgroup, the box's from every process. The rows are
// sorted by preference and described (cgroup, exe, oom_score_adj) a chunk at a time,
// until one of them is not protected.
std::optional<VictimChoice> MemoryService::choose(const Domain& domain,
                                                  std::span<const ScanRow> rows) {
  protect_rules_.scope_cgroup = domain.cgroup.empty() ? config_.victim_cgroup : domain.cgroup;
  const VictimOrder order =
      config_.victim == "fastest" ? VictimOrder::fastest : VictimOrder::largest;
  const auto sorted = std::span(order_).first(rows.size());
  std::iota(sorted.begin(), sorted.end(), 0U);
  std::sort(sorted.begin(), sorted.end(), [&](std::uint32_t a, std::uint32_t b) {
    return victim_before(rows[a], rows[b], order);
  });
  for (std::size_t from = 0; from < sorted.size(); from += kChunk) {
    std::size_t described = 0;
    for (std::size_t i = from; i < std::min(sorted.size(), from + kChunk); ++i) {
      if (rows[sorted[i]].rss_kb == 0) continue;  // kernel threads: nothing to free
      if (scanner_.describe(rows[sorted[i]], candidates_[described])) ++described;
    }
    auto victim = choose_victim(std::span(candidates_).first(described), protect_rules_, order);
    if (victim) return victim;
  }
  return std::nullopt;
}

void MemoryService::take_snapshot(std::span<const ScanRow> rows) {
  const std::size_t keep = top_by_rss(rows, std::span(order_), top_.size());
  top_count_ = 0;
  for (std::size_t i = 0; i < keep; ++i) {
    const ScanRow& row = rows[order_[i]];
    if (row.rss_kb == 0) break;  // kernel threads and zombies: nothing resident
    if (scanner_.describe(row, top_[top_count_])) ++top_count_;
  }
}

void MemoryService::fill_snapshot(KeptEvent& event, const Domain& domain, std::string_view why,
                                  pid_t victim) const {
  event.reset(EventKind::memory_snapshot, std::nullopt, Severity::warning);
  event.message() << "top " << top_count_ << " by RSS (" << domain.name << ", " << why;
  if (victim != 0) event.message() << " " << victim;
  event.message() << ")";
  event.field("domain", domain.name);
  event.field("available_bytes", domain.reading.available_bytes);
  event.field("total_bytes", domain.reading.total_bytes);
  for (std::size_t i = 0; i < top_count_; ++i) {
    FixedString<8> key("top");
    key << (i + 1);
    append_snapshot_line(event.field(key), top_[i]);
  }
}

void MemoryService::kill_victim(Domain& domain, const LadderDecision& decision) {
  if (hooks_.act_started) hooks_.act_started();
  PendingKill& kill = pending_;
  kill.heap_at_decision = heap_from_kernel();
  const std::span<ScanRow> rows = scan_domain(domain);
  const auto victim = choose(domain, rows);
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
  take_snapshot(rows);
  if (!victim) {
    fill_snapshot(snapshot_event_, domain, "no process may be killed", 0);
    sink_.record(snapshot_event_.to_event());
    sink_.record(Event{EventKind::memory_relief,
                       Fault::memory_relief,
                       Severity::error,
                       "nothing to kill in " + domain.name + ": every process is protected (" +
                           decision.reason + ")",
                       {{"domain", domain.name}}});
    return;
  }
  const bool now = decision.relief == Relief::kill_now;
  kill.victim = victim->process;
  kill.choice = victim->reason;
  kill.reason = decision.reason;
  kill.domain = domain.name;
  kill.grace = now ? std::chrono::milliseconds(0) : config_.grace;
  kill.faults_at_wake = faults_at_wake_;
  kill.woke = sample_woke_;
  const ProcessInfo& v = kill.victim;
  fill_snapshot(snapshot_event_, domain, "before killing", v.pid);
  fill_kill_event(domain);
  // The reason and the snapshot reach the black box before the signal; the rest of the
  // world hears of them after it.
  sink_.record_kept(snapshot_event_);
  sink_.record_kept(kill_event_);
  if (config_.dry_run) {
    ++dry_run_actions_;
    sink_.narrate_kept(snapshot_event_);
    sink_.narrate_kept(kill_event_);
    return;
  }
  wait_for_records();
}

void MemoryService::fill_kill_event(const Domain& domain) {
  const PendingKill& kill = pending_;
  const ProcessInfo& v = kill.victim;
  KeptEvent& e = kill_event_;
  e.reset(EventKind::memory_relief, Fault::memory_relief, Severity::error);
  e.message() << (config_.dry_run ? "dry run: would kill " : "killing ") << v.pid << " ("
              << v.comm.view() << "), " << kill.choice.view() << ": " << kill.reason.view();
  e.field("domain", domain.name);
  e.field("pid", v.pid);
  e.field("comm", v.comm.view());
  e.field("exe", v.exe.view());
  e.field("cgroup", v.cgroup.view());
  e.field("rss_kb", v.rss_kb);
  e.field("available_bytes", domain.reading.available_bytes);
  e.field("total_bytes", domain.reading.total_bytes);
  e.field("choice", kill.choice.view());
  if (kill.grace.count() == 0) {
    e.field("signal", "SIGKILL");
  } else {
    e.field("signal") << "SIGTERM, SIGKILL after " << kill.grace.count() << " ms";
  }
  e.field("trigger", sample_trigger_);
  e.field("wake_to_decision_us", micros_since_wake());
  e.field("dry_run", config_.dry_run ? "true" : "false");
}

// Runs the kill path once at start, the signal aside: its code and buffers are touched
// (and so locked by mlockall) now, while memory is plentiful, not for the first time on a
// starved box. What it found is recorded the way a kill's records are (through the black
// box writer's kept slots), which rehearses that path too and tells the owner whom the
// guard would pick. Its peak heap use sizes the reserve the rest of the guard draws on.
void MemoryService::rehearse_act() {
  const std::size_t before = heap_in_use();
  Domain& system = domains_.front();
  const std::span<ScanRow> rows = scan_domain(system);
  const std::size_t scanned = rows.size();
  const auto victim = choose(system, rows);
  (void)still_short(system);
  take_snapshot(rows);
  pending_.victim = victim ? victim->process : ProcessInfo{};
  pending_.choice = victim ? victim->reason.view() : std::string_view{};
  pending_.reason = "rehearsal";
  pending_.domain = system.name;
  pending_.grace = config_.grace;
  fill_snapshot(snapshot_event_, system, "rehearsal", 0);
  fill_kill_event(system);
  const std::size_t peak = heap_in_use();
  act_rehearsal_bytes_ = peak > before ? peak - before : 0;
  act_reserve_bytes_ =
      reserve_heap(reserve_size(std::size_t{config_.act_reserve_kib} * 1024, act_rehearsal_bytes_));

  KeptEvent& note = snapshot_event_;
  note.reset(EventKind::memory_monitor, std::nullopt, Severity::info);
  note.message() << "kill path rehearsed: " << scanned << " processes scanned";
  if (victim) {
    note.message() << "; a kill now would take " << victim->process.pid << " ("
                   << victim->process.comm.view() << "), " << victim->reason.view();
  } else {
    note.message() << "; no process may be killed now";
  }
  note.field("processes", scanned);
  note.field("scan_capacity", scanner_.capacity());
  note.field("scan_overflowed", scanner_.overflowed());
  note.field("reserve_bytes", act_reserve_bytes_);
  sink_.record_kept(note);
  sink_.narrate_kept(note);
}

// Reads the domain again just before a kill; true while it is still below the warn level.
bool MemoryService::still_short(Domain& domain) {
  if (&domain == &domains_.front()) {
    // MemAvailable only: the trend and counters stay with the timed samples.
    const auto info = read_meminfo();
    if (!info) return true;  // cannot tell: act on what was seen
    domain.reading.available_bytes = info->mem_available_kb * 1024;
  } else if (!domain.cgroup_dir.empty() && domain.limit) {
    // The watch's working set again, against the limit last read.
    const auto working_set = read_working_set(domain);
    if (!working_set) return true;
    domain.used_bytes = *working_set;
    domain.reading.available_bytes =
        watch_headroom(domain.used_bytes, *domain.limit, meminfo_.mem_available_kb * 1024);
  }
  if (domain.reading.total_bytes == 0) return true;
  return available_share(domain.reading) < static_cast<double>(config_.warn_available_percent);
}

void MemoryService::wait_for_records() {
  if (blackbox_ == nullptr || config_.record_wait.count() == 0 || !settle_source_.valid()) {
    send_kill();
    return;
  }
  settle_ticket_ = blackbox_->accepted();
  if (blackbox_->settled() >= settle_ticket_) {
    send_kill();
    return;
  }
  pending_.waiting = true;
  // Nothing a sample could decide meanwhile would be acted on (one relief at a time), and
  // a sample allocates: the loop does nothing of the guard's but this kill until its
  // signal. The sampling resumes at once after it.
  sample_timer_.pause();
  record_deadline_.arm_after(config_.record_wait);
}

void MemoryService::send_kill() {
  record_deadline_.disarm();
  const bool waited = std::exchange(pending_.waiting, false);
  const PendingKill& kill = pending_;
  if (hooks_.before_kill) hooks_.before_kill(kill.victim, kill.reason);
  const Status killed = killer_.kill(kill.victim.pid, kill.victim.comm, kill.grace);
  if (killed) {
    act_page_faults_ = thread_page_faults() - kill.faults_at_wake;
    act_heap_grew_ = static_cast<std::int64_t>(heap_from_kernel()) -
                     static_cast<std::int64_t>(kill.heap_at_decision);
    act_wake_to_signal_ = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - kill.woke);
  }
  if (hooks_.after_kill) hooks_.after_kill(kill.victim, kill.reason);
  // The act is over: from here on allocating is fine.
  if (waited && sample_timer_.active()) sample_timer_.resume_now();
  sink_.narrate_kept(snapshot_event_);
  sink_.narrate_kept(kill_event_);
  const ProcessInfo& v = kill.victim;
  if (!killed) {
    sink_.record(Event{EventKind::memory_relief,
                       Fault::memory_relief,
                       Severity::error,
                       "kill of " + std::to_string(v.pid) + " not sent: " + killed.error().message,
                       {{"domain", kill.domain.str()}, {"pid", std::to_string(v.pid)}}});
    return;
  }
  ++lifeline_kills_;
  last_kill_ = {{"pid", v.pid},
                {"comm", v.comm.str()},
                {"rss_kb", v.rss_kb},
                {"cgroup", v.cgroup.str()},
                {"domain", kill.domain.str()},
                {"reason", kill.reason.str()},
                {"act_page_faults", act_page_faults_},
                {"act_heap_grew_bytes", act_heap_grew_}};
}

}  // namespace lifeline::memory
