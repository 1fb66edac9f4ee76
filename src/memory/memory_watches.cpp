// The memory guard's watched domains: a cgroup (a unit's or a path) judged on its working
// set against its limit, or a program found by name or path and summed over its processes.
#include <unistd.h>

#include <algorithm>

#include "memory/memory_service.hpp"
#include "memory/proc_text.hpp"
#include "util/files.hpp"

namespace lifeline::memory {

namespace {

std::string seconds_text(std::chrono::milliseconds wait) {
  return std::to_string((wait.count() + 999) / 1000) + " s";
}

}  // namespace

// (Re-)registers the triggers on a watched cgroup's own memory.pressure once the cgroup
// exists: at start, when its unit starts later, and after a restart re-created it (the old
// triggers are then lost(): the kernel reports the removed file as an error). A refused
// registration (no PSI in that kernel, EPERM, EINVAL for the window, EBUSY) is tried again
// after 1 s, 2 s, 4 s ... up to every 60 s, not at every sample; one record says it failed
// and when it is tried again, one more when it finally registers.
void MemoryService::watch_pressure(Domain& domain, bool at_start) {
  if (!config_.psi.enabled || domain.pressure_file.empty()) return;
  if (domain.psi && !domain.psi->lost()) return;
  const bool again = domain.psi != nullptr;
  domain.psi.reset();  // a lost monitor's sources are off: it is never inside its callback here
  if (::access(domain.pressure_file.c_str(), F_OK) != 0) return;  // not running: next sample
  const hal::MonoTime now = loop_.now();
  if (!domain.psi_retry.due(now)) return;
  auto monitor = std::make_unique<PsiMonitor>(domain.pressure_file, config_.psi,
                                              [this](std::string_view kind) { on_pressure(kind); });
  if (auto s = monitor->start(loop_); !s) {
    domain.psi_retry.failed(now);
    domain.psi_error = s.error().message;
    ++domain.psi_failed;
    if (!domain.psi_problem_said) {
      const std::string problem = domain.name + ": no PSI triggers: " + s.error().message +
                                  "; trying again in " + seconds_text(domain.psi_retry.wait()) +
                                  ", then less and less often (every 60 s at the slowest)";
      if (at_start) {
        monitor_problems_.push_back(problem);
      } else {
        sink_.record(Event{EventKind::memory_monitor,
                           std::nullopt,
                           Severity::warning,
                           problem,
                           {{"domain", domain.name}, {"file", domain.pressure_file}}});
      }
      domain.psi_problem_said = true;
    }
    return;
  }
  const std::uint32_t failed = domain.psi_failed;
  domain.psi_failed = 0;
  domain.psi_retry.reset();
  domain.psi_error.clear();
  domain.psi_problem_said = false;
  domain.psi = std::move(monitor);
  if (!at_start) {
    std::string how = again ? " registered again (the cgroup was re-created)"
                            : " registered (the cgroup appeared)";
    if (failed > 0) how = " registered after " + std::to_string(failed) + " failed attempts";
    sink_.record(Event{EventKind::memory_monitor,
                       std::nullopt,
                       Severity::info,
                       domain.name + ": PSI triggers on " + domain.pressure_file + how,
                       {{"domain", domain.name},
                        {"file", domain.pressure_file},
                        {"failed_attempts", std::to_string(failed)}}});
  }
}

std::uint64_t watch_headroom(std::uint64_t used, std::uint64_t limit,
                             std::uint64_t system_available) {
  return std::min(system_available, limit > used ? limit - used : 0);
}

// The working set, not the usage: page cache the kernel can drop at once is not a reason
// to kill.
std::optional<std::uint64_t> MemoryService::read_working_set(const Domain& domain) {
  FixedString<512> path(domain.cgroup_dir);
  path << (domain.v2 ? "/memory.current" : "/memory.usage_in_bytes");
  const auto n = read_into(path.c_str(), read_buffer_);
  const auto used = n ? parse_counter(std::string_view(read_buffer_.data(), *n)) : std::nullopt;
  if (!used) return std::nullopt;
  path.assign(domain.cgroup_dir);
  path << "/memory.stat";
  const auto s = read_into(path.c_str(), read_buffer_);
  const std::uint64_t reclaimable =
      s ? parse_inactive_file(std::string_view(read_buffer_.data(), *s)) : 0;
  return *used > reclaimable ? *used - reclaimable : 0;
}

void MemoryService::sample_watch(Domain& domain, hal::MonoTime now) {
  if (!domain.process.empty()) {
    sample_process_watch(domain, now);
    return;
  }
  const std::string limit_file = domain.v2 ? "/memory.max" : "/memory.limit_in_bytes";
  const auto working_set = read_working_set(domain);
  if (!working_set) {
    domain.limit.reset();
    domain.reading = {};
    domain.psi_retry.reset();    // a new cgroup (the unit started again) is tried at once
    lookup_unit_cgroup(domain);  // a unit's cgroup may be elsewhere now
    return;                      // not running (yet): nothing to judge
  }
  domain.lookup.retry.reset();  // there: a cgroup that goes away is asked about at once
  // A user unit's cgroup is named after it below its manager: there, it is the unit's.
  if (!domain.lookup.user.empty()) domain.lookup.confirmed = true;
  watch_pressure(domain, false);
  domain.used_bytes = *working_set;
  auto limit_text = read_small_file(domain.cgroup_dir + limit_file, 64);
  domain.limit = limit_text ? parse_memory_limit(*limit_text) : std::nullopt;
  const std::uint64_t system_available = meminfo_.mem_available_kb * 1024;
  const std::uint64_t available =
      domain.limit ? watch_headroom(domain.used_bytes, *domain.limit, system_available)
                   : system_available;
  const LeakVerdict verdict = domain.leak.update(now, domain.used_bytes, available);
  domain.last_leak = verdict;
  if (verdict.raised || verdict.cleared) on_leak(domain, verdict);
  if (domain.limit) {
    domain.reading = DomainReading{available, *domain.limit, verdict.eta};
  } else {
    domain.reading = {};
  }
}

// A program outside any watched cgroup: the sum of its processes' resident sets (VmRSS,
// RssAnon from /proc/PID/status). The processes are looked for by a /proc walk only when
// one is gone, and otherwise every kProgramRescan (new instances), so the common sample
// reads one small file per process.
void MemoryService::sample_process_watch(Domain& domain, hal::MonoTime now) {
  constexpr auto kProgramRescan = std::chrono::seconds(10);
  // Sums the processes' VmRSS and RssAnon; false when one of them is gone.
  const auto sum = [this, &domain](std::uint64_t& rss_kb, std::uint64_t& anon_kb) {
    rss_kb = anon_kb = 0;
    bool all = true;
    for (pid_t pid : domain.pids) {
      auto text = read_small_file(paths_.proc + "/" + std::to_string(pid) + "/status", 8192);
      auto memory = text ? parse_proc_status_memory(*text) : Expected<ProcMemory>(Error{});
      if (!memory) {
        all = false;
        continue;
      }
      rss_kb += memory->vm_rss_kb;
      anon_kb += memory->rss_anon_kb;
    }
    return all;
  };
  std::uint64_t rss_kb = 0;
  std::uint64_t anon_kb = 0;
  // A process that went away is looked for again at once (a restart); a program that is
  // not running is looked for every kProgramRescan only, so it costs nothing meanwhile.
  const bool one_gone = !sum(rss_kb, anon_kb);
  const bool all_there = !one_gone && !domain.pids.empty();
  if (one_gone || now - domain.pids_found >= kProgramRescan) {
    domain.pids = scanner_.find_program(domain.process);
    domain.pids_found = now;
    if (!all_there) sum(rss_kb, anon_kb);
  }
  domain.reading = {};              // no limit of its own: trend and leak ETA only
  if (domain.pids.empty()) return;  // not running (yet)
  domain.used_bytes = rss_kb * 1024;
  domain.anon_bytes = anon_kb * 1024;
  const LeakVerdict verdict =
      domain.leak.update(now, domain.used_bytes, meminfo_.mem_available_kb * 1024);
  domain.last_leak = verdict;
  if (verdict.raised || verdict.cleared) on_leak(domain, verdict);
}

}  // namespace lifeline::memory
