// Typed configuration of the memory guard ([memory] and its sub-tables in lifeline.toml).
// The loader fills it; monitors and policies take it as values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace lifeline {

// [memory.psi]: kernel pressure triggers (POLLPRI on /proc/pressure/memory).
struct PsiConfig {
  bool enabled = true;
  std::chrono::milliseconds some_stall{150};  // "some" stall per window that wakes the guard
  std::chrono::milliseconds full_stall{50};   // "full" stall per window
  std::chrono::milliseconds window{1000};
  bool operator==(const PsiConfig&) const = default;
};

// [memory.leak]: when steady growth of a watched unit (or of the system's used memory)
// counts as a leak.
struct LeakConfig {
  std::uint32_t raise_kib_per_s = 256;
  std::uint32_t clear_kib_per_s = 64;
  std::chrono::seconds min_duration{120};
  std::uint32_t window_samples = 30;
  bool operator==(const LeakConfig&) const = default;
};

// [[memory.watch]]: a memory cgroup or a program watched on its own: its growth (leak ETA)
// and, for a cgroup with a limit, its headroom, with victims chosen inside it.
struct MemoryWatchConfig {
  std::string name;
  std::string unit;     // a systemd unit; its cgroup is found under the cgroup mount
  std::string cgroup;   // or an absolute cgroup directory
  std::string process;  // or a program: a comm name (<= 15 bytes) or an absolute exe path
  std::string user;     // with unit: a unit of this user's manager (a name or a UID)
  bool operator==(const MemoryWatchConfig&) const = default;
};

// [memory.ssh]: keep the owner's way in.
struct SshConfig {
  bool probe = true;
  std::string address = "127.0.0.1";
  std::uint16_t port = 22;
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds timeout{2000};
  std::uint32_t failures = 3;  // consecutive failed probes that raise ssh_unreachable
  std::string unit = "ssh.service";
  std::chrono::seconds restart_min_interval{300};  // at most one restart this often; 0 = never
  std::chrono::seconds start_grace{60};  // failures before sshd first answers count after this
  bool protect = true;                   // set oom_score_adj of every sshd process
  int oom_score_adj = -900;              // for sshd: below the app, above lifeline
  bool operator==(const SshConfig&) const = default;
};

// [memory]: the guard and its policy ladder (warn, relieve, kill).
struct MemoryConfig {
  bool enabled = false;
  bool dry_run = false;  // decide and record everything, kill and stop nothing
  std::chrono::milliseconds sample_interval{2000};      // while memory is plentiful
  std::chrono::milliseconds fast_sample_interval{250};  // once below warn or under pressure
  std::uint32_t warn_available_percent = 15;            // of MemTotal (or a watch's limit)
  std::uint32_t relieve_available_percent = 10;
  std::uint32_t kill_available_percent = 5;  // SIGKILL at once, no grace
  std::uint32_t clear_margin_percent = 3;    // a level clears this far above its threshold
  std::chrono::seconds eta_relieve{30};      // relieve when exhaustion is nearer than this
  std::chrono::milliseconds grace{1500};     // SIGTERM, then SIGKILL after this
  std::chrono::milliseconds min_relief_interval{5000};
  std::chrono::milliseconds record_wait{200};  // a kill waits this long for its record's fsync
  std::uint32_t top_n = 8;
  std::uint32_t act_reserve_kib = 512;        // heap faulted in at start for the act path
  std::vector<std::string> protect;           // process names, absolute exe paths or units
  std::vector<std::string> expendable_units;  // asked to stop before any process is killed
  std::string expendable_action = "restart";  // "restart" or "stop"
  std::string victim = "largest";             // "largest" RSS or "fastest" growth
  std::string victim_cgroup;                  // "" = any process; else only inside this cgroup
  bool kmsg = true;
  bool kmsg_backlog = false;  // also record OOM kills logged before lifeline started
  int oom_score_adj = -1000;  // lifeline's own
  PsiConfig psi;
  LeakConfig leak;
  std::vector<MemoryWatchConfig> watches;
  SshConfig ssh;
  bool operator==(const MemoryConfig&) const = default;
};

}  // namespace lifeline
