#include "memory/memory_service.hpp"

#include <unistd.h>

#include "agent/unit_cgroup.hpp"
#include "memory/act_reserve.hpp"
#include "memory/cgroup_search.hpp"
#include "memory/proc_text.hpp"
#include "memory/sampling_rate.hpp"
#include "util/files.hpp"

namespace lifeline::memory {

namespace {

using std::chrono::seconds;

// After a PSI trigger fires, sample fast for this long even if the levels look fine.
constexpr seconds kPressureHold{10};
// A sudden steady fall of MemAvailable gives an ETA before the long trend is sustained:
// three rising steps in a row spanning at least 500 ms (0.75 s of fast samples). Three, not
// one: a single burst that is freed again must not bring a kill below the warn level.
constexpr std::size_t kSuddenSteps = 3;
constexpr std::chrono::milliseconds kSuddenMinSpan{500};
constexpr std::chrono::milliseconds kLastStepMinSpan{100};
// sshd's listener is looked up again this often (a restarted sshd has a new PID).
constexpr seconds kSshdProtectPeriod{30};

LeakPolicy leak_policy(const LeakConfig& c) {
  LeakPolicy p;
  p.raise_bytes_per_s = 1024.0 * c.raise_kib_per_s;
  p.clear_bytes_per_s = 1024.0 * c.clear_kib_per_s;
  p.min_duration = c.min_duration;
  p.window_samples = c.window_samples;
  return p;
}

// The configured protections, sorted by kind: an absolute path matches the executable, a
// unit name the cgroup, anything else the process name. sshd's unit is always protected.
ProtectRules protect_rules(const MemoryConfig& c) {
  ProtectRules rules;
  rules.self = ::getpid();
  for (const std::string& entry : c.protect) {
    if (entry.front() == '/') {
      rules.paths.push_back(entry);
    } else if (names_a_unit(entry)) {
      rules.units.push_back(entry);
    } else {
      rules.names.push_back(entry);
    }
  }
  if (!c.ssh.unit.empty()) rules.units.push_back(c.ssh.unit);
  return rules;
}

LadderPolicy ladder_policy(const MemoryConfig& c) {
  LadderPolicy p;
  p.warn_percent = c.warn_available_percent;
  p.relieve_percent = c.relieve_available_percent;
  p.kill_percent = c.kill_available_percent;
  p.clear_margin_percent = c.clear_margin_percent;
  p.eta_relieve = c.eta_relieve;
  p.min_relief_interval = c.min_relief_interval;
  return p;
}

SshPolicySettings ssh_settings(const SshConfig& c) {
  return SshPolicySettings{c.failures, c.restart_min_interval, !c.unit.empty(), c.start_grace};
}

}  // namespace

MemoryService::MemoryService(EventLoop& loop, FaultSet& faults, EventSink& sink, UnitJobs& jobs,
                             blackbox::AsyncWriter* blackbox, MemoryConfig config,
                             MemoryHooks hooks, MemoryPaths paths)
    : loop_(loop),
      faults_(faults),
      sink_(sink),
      jobs_(jobs),
      blackbox_(blackbox),
      config_(std::move(config)),
      hooks_(std::move(hooks)),
      paths_(std::move(paths)),
      scanner_(paths_.proc),
      protect_rules_(protect_rules(config_)),
      ssh_policy_(ssh_settings(config_.ssh)),
      killer_(loop, [this](const KillOutcome& outcome) { on_victim_gone(outcome); }) {}

MemoryService::~MemoryService() = default;

MemoryService::Domain MemoryService::make_domain(std::string name, std::string cgroup,
                                                 std::string process) {
  const std::size_t window = std::max<std::size_t>(config_.leak.window_samples, 5);
  Domain d{std::move(name),
           std::move(cgroup),
           {},
           false,
           Ladder(ladder_policy(config_)),
           LeakDetector(leak_policy(config_.leak)),
           TrendEstimator(window),
           {},
           0,
           std::nullopt,
           {},
           {},
           0,
           std::move(process),
           {},
           {},
           0,
           {},
           nullptr,
           false,
           RetryBackoff(),  // 1 s, doubling up to 60 s
           {},
           0,
           {}};
  place_cgroup(d, d.cgroup);
  return d;
}

Status MemoryService::start() {
  if (auto adj = set_oom_score_adj(::getpid(), config_.oom_score_adj); !adj) {
    monitor_problems_.push_back(adj.error().message);
  }
  domains_.push_back(make_domain("system", ""));
  for (const auto& watch : config_.watches) {
    if (!watch.process.empty()) {
      domains_.push_back(make_domain(watch.name, "", watch.process));
      continue;
    }
    if (!watch.cgroup.empty()) {
      domains_.push_back(make_domain(watch.name, watch.cgroup));
      continue;
    }
    // Assumed until systemd says where the unit runs (asked in start_monitors()), or for
    // a user unit, until it is found below its user's manager.
    const std::optional<uid_t> uid = watch.user.empty() ? std::nullopt : user_id(watch.user);
    std::string assumed = default_unit_cgroup(watch.unit);
    if (!watch.user.empty()) assumed = uid ? default_user_unit_cgroup(*uid, watch.unit) : "";
    Domain domain = make_domain(watch.name, assumed);
    domain.lookup.unit = watch.unit;
    domain.lookup.user = watch.user;
    domain.lookup.uid = uid;
    domains_.push_back(std::move(domain));
  }
  if (auto s = killer_.start(); !s) return s;
  if (auto s = loop_.prepare_oneshot(
          oom_fault_timer_, "memory-oom-fault",
          [this] { faults_.clear(Fault::kernel_oom_kill, "no kernel OOM kill for 10 minutes"); });
      !s) {
    return s;
  }
  // A record that does not settle in time does not hold the kill back any longer.
  if (auto s = loop_.prepare_oneshot(record_deadline_, "memory-record-wait",
                                     [this] {
                                       if (pending_.waiting) send_kill();
                                     });
      !s) {
    return s;
  }
  if (!sample_system(loop_.now())) {
    return Error{0, "memory guard: cannot read " + paths_.proc + "/meminfo"};
  }
  start_monitors();
  prepare_kill_path();
  rehearse_act();
  for (const std::string& problem : monitor_problems_) {
    sink_.record(Event{EventKind::memory_monitor, std::nullopt, Severity::warning, problem, {}});
  }
  return loop_.start_periodic(sample_timer_, "memory-sample", config_.sample_interval,
                              [this] { sample(); });
}

void MemoryService::start_monitors() {
  if (config_.psi.enabled) {
    psi_ =
        std::make_unique<PsiMonitor>(paths_.pressure, config_.psi, [this](std::string_view kind) {
          box_stall_at_ = loop_.now();
          on_pressure(kind);
        });
    if (auto s = psi_->start(loop_); !s) {
      monitor_problems_.push_back("no PSI triggers (sampling MemAvailable only): " +
                                  s.error().message);
      psi_.reset();
    }
  }
  follow_unit_jobs();
  // A watched unit's own pressure, where cgroup v2 has it: the unit stalling wakes the
  // guard like the box stalling does.
  for (Domain& domain : domains_) {
    lookup_unit_cgroup(domain);
    watch_pressure(domain, true);
  }
  if (config_.kmsg) {
    kmsg_ = std::make_unique<KmsgMonitor>(paths_.kmsg, config_.kmsg_backlog,
                                          [this](const OomKill& kill) { on_oom_kill(kill); });
    if (auto s = kmsg_->start(loop_); !s) {
      monitor_problems_.push_back("kernel OOM kills will not be recorded: " + s.error().message);
      kmsg_.reset();
    }
  }
  if (config_.ssh.probe) {
    ssh_ = std::make_unique<SshProbe>(config_.ssh,
                                      [this](const SshProbeResult& r) { on_ssh_result(r); });
    if (auto s = ssh_->start(loop_); !s) {
      monitor_problems_.push_back("no SSH probe: " + s.error().message);
      ssh_.reset();
    } else {
      ssh_->probe_now();
    }
  }
  if (config_.ssh.protect) {
    protect_sshd();
    (void)loop_.start_periodic(sshd_timer_, "memory-sshd-protect", kSshdProtectPeriod,
                               [this] { protect_sshd(); });
  }
}

std::optional<MemInfo> MemoryService::read_meminfo() {
  const auto n = read_into(meminfo_path_.c_str(), read_buffer_);
  if (!n) return std::nullopt;
  auto info = parse_meminfo(std::string_view(read_buffer_.data(), *n));
  if (!info) return std::nullopt;
  return *info;
}

bool MemoryService::sample_system(hal::MonoTime now) {
  const auto info = read_meminfo();
  if (!info) return false;
  meminfo_ = *info;
  if (auto vm = read_small_file(paths_.proc + "/vmstat", 65536)) {
    const VmStat stat = parse_vmstat(*vm);
    if (last_sample_ != hal::MonoTime{} && now > last_sample_ && stat.refaults >= refaults_) {
      refaults_per_s_ = static_cast<double>(stat.refaults - refaults_) /
                        std::chrono::duration<double>(now - last_sample_).count();
    }
    refaults_ = stat.refaults;
    if (stat.has_oom_kill) check_vmstat_kills(stat.oom_kill);
  }
  Domain& system = domains_.front();
  last_sample_ = now;
  const std::uint64_t total = meminfo_.mem_total_kb * 1024;
  const std::uint64_t available = meminfo_.mem_available_kb * 1024;
  system.used_bytes = total > available ? total - available : 0;
  system.used_trend.add(now, system.used_bytes);
  const Trend trend = system.used_trend.trend();
  const auto stall_age = box_stall_at_ ? std::optional(now - *box_stall_at_) : std::nullopt;
  system.reading =
      DomainReading{available, total, std::nullopt, stall_age && *stall_age <= config_.psi.window,
                    stall_age && *stall_age < kPressureHold};
  if (trend.sustained && trend.bytes_per_second > 0) {
    system.reading.eta = eta_to_exhaustion(trend.bytes_per_second, available);
  } else if (const auto sudden =
                 steady_recent_growth(system.used_trend.samples(), kSuddenSteps, kSuddenMinSpan)) {
    system.reading.eta = eta_to_exhaustion(*sudden, available);
  }
  return true;
}

void MemoryService::sample() {
  const hal::MonoTime now = loop_.now();  // cached by the loop when it woke for this event
  sample_woke_ = now;
  faults_at_wake_ = thread_page_faults();
  if (!sample_system(now)) return;
  Domain& system = domains_.front();
  const LeakVerdict system_leak =
      system.leak.update(now, system.used_bytes, system.reading.available_bytes);
  system.last_leak = system_leak;
  if (system_leak.raised || system_leak.cleared) on_leak(system, system_leak);
  for (Domain& domain : domains_) {
    if (&domain != &system) sample_watch(domain, now);
    if (domain.reading.total_bytes == 0) continue;  // a watch without a limit: trend only
    const LadderDecision decision = domain.ladder.evaluate(now, domain.reading, relief_busy());
    act(domain, decision);
  }
  update_sampling_rate();
}

void MemoryService::update_sampling_rate() {
  bool fast = relief_busy() || (pressure_seen_ && loop_.now() - last_pressure_ < kPressureHold);
  for (const Domain& domain : domains_) fast = fast || domain.ladder.level() != Level::normal;
  // Faster as the margin shrinks or falls quickly, before the warn level (sampling_rate.hpp):
  // a hog of 100+ MiB/s on a 512 MB box crosses 15 % -> 10 % in well under one 2 s sample
  // (seen in the VM tier), so waiting for the warn level to speed up is too late.
  const Domain& system = domains_.front();
  if (system.reading.total_bytes > 0) {
    // The last step of the used-memory series the ETA reads too. A step shorter than
    // kLastStepMinSpan (a PSI wake right after a timer sample) is too short to extrapolate.
    const auto growth = steady_recent_growth(system.used_trend.samples(), 1, kLastStepMinSpan);
    const auto fall =
        growth ? std::optional(*growth * 100.0 / static_cast<double>(system.reading.total_bytes))
               : std::nullopt;
    fast = wants_fast_sampling(SamplingInputs{
        fast, available_share(system.reading), fall, system.reading.eta,
        static_cast<double>(config_.warn_available_percent), config_.sample_interval});
  }
  if (fast == fast_) return;
  fast_ = fast;
  sample_timer_.set_period(fast ? config_.fast_sample_interval : config_.sample_interval);
}

void MemoryService::on_pressure(std::string_view /*kind*/) {
  // The kernel says tasks are stalling: look now rather than at the next tick (unless a
  // kill is already on its way: its signal comes first, and the sampling after it).
  last_pressure_ = loop_.now();
  pressure_seen_ = true;
  if (pending_.waiting) return;
  sample_trigger_ = "psi";
  sample();
  sample_trigger_ = "timer";
}

void MemoryService::protect_sshd() {
  std::vector<pid_t> protected_now;
  for (pid_t pid : scanner_.find_by_comm("sshd")) {
    const auto current = read_oom_score_adj(pid);
    if (current && *current == config_.ssh.oom_score_adj) {
      protected_now.push_back(pid);
      continue;
    }
    if (auto s = set_oom_score_adj(pid, config_.ssh.oom_score_adj); !s) {
      sink_.record(Event{EventKind::memory_monitor,
                         std::nullopt,
                         Severity::warning,
                         "cannot protect sshd: " + s.error().message,
                         {}});
      continue;
    }
    protected_now.push_back(pid);
    sink_.record(Event{EventKind::memory_monitor,
                       std::nullopt,
                       Severity::info,
                       "sshd PID " + std::to_string(pid) + " given oom_score_adj " +
                           std::to_string(config_.ssh.oom_score_adj),
                       {{"pid", std::to_string(pid)}}});
  }
  sshd_protected_ = std::move(protected_now);
}

}  // namespace lifeline::memory
