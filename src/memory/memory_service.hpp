// The memory guard: monitors (MemAvailable sampling, PSI triggers, /dev/kmsg, the SSH probe)
// feed pure policies (the ladder per domain, leak detectors, the SSH policy); the actions
// (unit jobs, ProcessKiller) follow, and every step is recorded. A domain is the whole box
// or one watched cgroup; each has its own ladder.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "agent/event_loop.hpp"
#include "agent/unit_jobs.hpp"
#include "blackbox/async_writer.hpp"
#include "fault/fault_set.hpp"
#include "fault/kept_event.hpp"
#include "memory/kmsg_monitor.hpp"
#include "memory/ladder.hpp"
#include "memory/meminfo.hpp"
#include "memory/memory_config.hpp"
#include "memory/process_killer.hpp"
#include "memory/process_scan.hpp"
#include "memory/psi_monitor.hpp"
#include "memory/ssh_probe.hpp"
#include "memory/trend.hpp"
#include "util/retry_backoff.hpp"

namespace lifeline::memory {

// Where the guard reads the system: tests point these at their own files.
struct MemoryPaths {
  std::string proc = "/proc";
  std::string pressure = "/proc/pressure/memory";
  std::string kmsg = "/dev/kmsg";
  std::string cgroup_root = "/sys/fs/cgroup";
};

struct MemoryHooks {
  // Runs just before a victim is signalled, on the kill path (so it must not allocate):
  // the agent stops the motors first when the victim is (or belongs to) the control app.
  std::function<void(const ProcessInfo& victim, std::string_view reason)> before_kill;
  // Runs after the signal was sent (or failed): the agent records the motor stop there.
  std::function<void(const ProcessInfo& victim, std::string_view reason)> after_kill;
  // Test seam: runs when the ladder's decision to kill begins to be carried out.
  std::function<void()> act_started;
};

// A watched cgroup's headroom: its limit less what it uses, but never more than the box
// has available.
std::uint64_t watch_headroom(std::uint64_t used, std::uint64_t limit,
                             std::uint64_t system_available);

class MemoryService {
 public:
  MemoryService(EventLoop& loop, FaultSet& faults, EventSink& sink, UnitJobs& jobs,
                blackbox::AsyncWriter* blackbox, MemoryConfig config, MemoryHooks hooks,
                MemoryPaths paths = {});
  ~MemoryService();
  // Sets lifeline's own oom_score_adj, starts every monitor. A monitor that cannot start is
  // recorded and the guard runs without it (no PSI: sampling alone; no kmsg: no record of
  // the kernel's kills); only a broken sampler is an Error.
  Status start();
  [[nodiscard]] nlohmann::json status() const;

 private:
  // A `unit =` watch's cgroup, asked of systemd (ControlGroup) at start and again, with a
  // back-off, while the cgroup watched is absent (the unit stopped, or runs elsewhere).
  // A user unit's cgroup is looked for by name below its user's manager's cgroup instead.
  struct UnitCgroupLookup {
    std::string unit;          // "" for any other domain
    std::string user;          // "" for a system unit; else the configured user
    std::optional<uid_t> uid;  // the user's UID, once known
    bool confirmed = false;    // systemd named the cgroup, or it was found below the user's manager
    std::uint32_t job_signals = 0;  // systemd's JobRemoved for the unit, each asked about
    bool ask_again = false;         // a job ended while a question was on the bus
    bool asking = false;            // a question is on the bus
    RetryBackoff retry;
    std::string problem;  // why systemd could not be asked (the cgroup is assumed meanwhile)
    bool problem_said = false;
  };

  struct Domain {
    std::string name;        // "system" or the watch's name
    std::string cgroup;      // "" for the system; else the cgroup path below the mount
    std::string cgroup_dir;  // the directory read (usage, limit)
    bool v2 = false;
    Ladder ladder;
    LeakDetector leak;
    TrendEstimator used_trend;  // for the ETA of the system's MemAvailable
    DomainReading reading;
    std::uint64_t used_bytes = 0;
    std::optional<std::uint64_t> limit;
    LeakVerdict last_leak;
    LadderDecision last;
    std::size_t next_expendable = 0;  // per episode (from leaving normal to normal again)
    std::string process;              // a process watch: the program (comm or exe path); no cgroup
    std::vector<pid_t> pids;          // a process watch's processes, found by a scan
    hal::MonoTime pids_found{};       // when they were last looked for
    std::uint64_t anon_bytes = 0;     // a process watch's anonymous resident memory
    // A cgroup watch's own memory.pressure (cgroup v2, or the unified tree of a hybrid
    // host); "" where there is none. Its triggers are registered when the cgroup exists
    // and again after it was re-created (a restarted unit gets a new cgroup).
    std::string pressure_file;
    std::unique_ptr<PsiMonitor> psi;
    bool psi_problem_said = false;  // the first failed registration was recorded
    // A failed registration is tried again by this back-off, not at every sample; it
    // starts over when the cgroup goes away (a new cgroup is tried at once).
    RetryBackoff psi_retry;
    std::string psi_error;  // the last failed registration's reason; "" once registered
    // Failed registrations since the last one that worked. Not psi_retry.failures(): the
    // back-off starts over when the cgroup is re-created, this count does not, so the
    // "registered after N failed attempts" record tells the whole outage.
    std::uint32_t psi_failed = 0;
    // A unit watch: its cgroup as systemd reports it (memory_unit_cgroup.cpp).
    UnitCgroupLookup lookup;
  };

  // Sampling (memory_service.cpp).
  void sample();
  bool sample_system(hal::MonoTime now);
  void sample_watch(Domain& domain, hal::MonoTime now);
  void sample_process_watch(Domain& domain, hal::MonoTime now);
  void update_sampling_rate();
  void watch_pressure(Domain& domain, bool at_start);  // memory_watches.cpp
  void on_pressure(std::string_view kind);
  void on_oom_kill(const OomKill& kill);
  void check_vmstat_kills(std::uint64_t kernel_total);
  void on_ssh_result(const SshProbeResult& result);
  void protect_sshd();
  void start_monitors();
  void rehearse_act();
  Domain make_domain(std::string name, std::string cgroup, std::string process = {});
  void place_cgroup(Domain& domain, std::string cgroup);  // memory_unit_cgroup.cpp
  void lookup_unit_cgroup(Domain& domain);
  void find_user_unit_cgroup(Domain& domain);
  void follow_unit_jobs();
  void on_unit_job(std::string_view unit, std::string_view result);
  void on_unit_cgroup(std::size_t index, Expected<std::string> answer);

  // The ladder's decisions and their actions (memory_relief.cpp).
  void act(Domain& domain, const LadderDecision& decision);
  void on_level_change(Domain& domain, const LadderDecision& decision);
  void update_level_faults();
  void relieve(Domain& domain, const LadderDecision& decision);
  bool restart_expendable(Domain& domain, const LadderDecision& decision);
  // The kill (memory_kill.cpp): allocation-free from the decision to the signal.
  void prepare_kill_path();
  void kill_victim(Domain& domain, const LadderDecision& decision);
  std::span<ScanRow> scan_domain(const Domain& domain);
  std::optional<VictimChoice> choose(const Domain& domain, std::span<const ScanRow> rows);
  void take_snapshot(std::span<const ScanRow> rows);
  void fill_snapshot(KeptEvent& event, const Domain& domain, std::string_view why,
                     pid_t victim) const;
  bool still_short(Domain& domain);
  void wait_for_records();
  void send_kill();
  void fill_kill_event(const Domain& domain);
  // Both read into read_buffer_ without allocating (a kill's recheck uses them).
  std::optional<MemInfo> read_meminfo();
  // A cgroup watch's working set: its usage less the page cache the kernel can drop at
  // once (inactive file); nullopt when its cgroup is not there.
  std::optional<std::uint64_t> read_working_set(const Domain& domain);
  void on_victim_gone(const KillOutcome& outcome);
  void on_leak(Domain& domain, const LeakVerdict& verdict);

  // A kill is waiting for its record to settle, or its victim has not died yet: no other
  // relief starts meanwhile, in any domain.
  [[nodiscard]] bool relief_busy() const { return killer_.in_progress() || pending_.waiting; }

  // From the loop's wake for the sample being evaluated to now: the act path's latency.
  [[nodiscard]] std::int64_t micros_since_wake() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 sample_woke_)
        .count();
  }

  // Status (memory_status.cpp).
  [[nodiscard]] nlohmann::json domain_json(const Domain& domain) const;

  EventLoop& loop_;
  FaultSet& faults_;
  EventSink& sink_;
  UnitJobs& jobs_;
  blackbox::AsyncWriter* blackbox_;
  MemoryConfig config_;
  MemoryHooks hooks_;
  MemoryPaths paths_;
  ProcessScanner scanner_;
  ProtectRules protect_rules_;   // from [memory] protect and the ssh unit, built once
  std::vector<Domain> domains_;  // [0] is the system
  std::unique_ptr<PsiMonitor> psi_;
  std::unique_ptr<KmsgMonitor> kmsg_;
  std::unique_ptr<SshProbe> ssh_;
  SshPolicy ssh_policy_;
  ProcessKiller killer_;
  PeriodicTimer sample_timer_;
  PeriodicTimer sshd_timer_;
  OneshotTimer oom_fault_timer_;
  OneshotTimer record_deadline_;
  EventSource settle_source_;
  std::uint64_t settle_ticket_ = 0;
  // The kill path's own storage, made at start: the kill waiting for its records, the
  // scan's rows in preference order, one chunk of them described, the last top-RSS
  // snapshot, and the two records a kill writes before its signal.
  struct PendingKill {
    ProcessInfo victim;
    FixedString<96> choice;   // why this process
    FixedString<256> reason;  // why a kill (the ladder's reason)
    FixedString<64> domain;
    std::chrono::milliseconds grace{0};
    std::uint64_t faults_at_wake = 0;
    std::size_t heap_at_decision = 0;
    std::chrono::steady_clock::time_point woke{};
    bool waiting = false;  // for its records to settle
  };
  PendingKill pending_;
  std::vector<std::uint32_t> order_;
  std::vector<ProcessInfo> candidates_;
  std::vector<ProcessInfo> top_;
  std::size_t top_count_ = 0;
  KeptEvent snapshot_event_;
  KeptEvent kill_event_;
  // The small files the guard reads on the loop (meminfo, a watch's usage and
  // memory.stat) are read into this, by the samples and by a kill's recheck alike.
  std::array<char, 16384> read_buffer_{};
  std::string meminfo_path_ = paths_.proc + "/meminfo";
  bool fast_ = false;
  hal::MonoTime sample_woke_{};        // when the loop woke for the sample being evaluated
  std::uint64_t faults_at_wake_ = 0;   // this thread's page faults when it woke
  std::uint64_t act_page_faults_ = 0;  // from the wake to the last kill's signal
  // What malloc took from the kernel from the last kill's decision to its signal (read at
  // the decision, not at every sample: mallinfo2 locks every thread's arena).
  std::int64_t act_heap_grew_ = 0;
  std::chrono::microseconds act_wake_to_signal_{0};  // the same span, in time
  std::size_t act_reserve_bytes_ = 0;
  std::size_t act_rehearsal_bytes_ = 0;  // the rehearsal's peak heap use
  std::string_view sample_trigger_ = "timer";
  hal::MonoTime last_pressure_{};
  bool pressure_seen_ = false;
  std::optional<hal::MonoTime> box_stall_at_;  // the system-wide trigger's last event

  // What the status shows.
  MemInfo meminfo_;
  std::uint64_t refaults_ = 0;
  double refaults_per_s_ = 0;
  hal::MonoTime last_sample_{};
  std::optional<std::uint64_t> vmstat_kills_at_start_;
  std::uint64_t vmstat_kills_ = 0;
  std::uint64_t kernel_kills_logged_ = 0;    // from /dev/kmsg
  std::uint64_t kernel_kills_unlogged_ = 0;  // counted by vmstat, never seen in the log
  bool unlogged_pending_ = false;
  std::uint64_t lifeline_kills_ = 0;
  std::uint64_t unit_actions_ = 0;
  std::uint64_t dry_run_actions_ = 0;
  nlohmann::json last_kill_;
  nlohmann::json last_kernel_kill_;
  std::vector<std::string> monitor_problems_;
  SshProbeResult ssh_last_;
  bool ssh_seen_ = false;
  std::uint64_t ssh_restarts_ = 0;
  std::vector<pid_t> sshd_protected_;
  // Bus answers that arrive after the service is gone (UnitJobs outlives it) see this
  // expired and do nothing.
  std::shared_ptr<char> alive_ = std::make_shared<char>(0);
};

}  // namespace lifeline::memory
