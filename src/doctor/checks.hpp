// The offline part of `lifeline doctor`: checks over configuration files (under a root
// directory or a fixture), each returning findings. Every check family gives at least one
// finding: a problem, or "<family>.ok" saying what was checked. The live part (sd-bus
// unit states, /proc of running processes) comes later. Ids: docs/doctor.md.
#pragma once

#include <string>
#include <vector>

#include "doctor/finding.hpp"
#include "doctor/system_files.hpp"

namespace lifeline::doctor {

struct DoctorOptions {
  std::string app_unit;  // "avatar-tank.service"; "" skips the app checks (one info)
};

// Incident files (shared/incidents/) the findings point to.
inline constexpr const char* kIncidentPort5000 = "2025-10-23-duplicate-unit-port-5000.md";
inline constexpr const char* kIncidentOomLoop = "2025-10-24-duplicate-mediamtx-oom-loop.md";
inline constexpr const char* kIncidentPreset = "2025-10-25-preset-reenabled-duplicates.md";
inline constexpr const char* kIncidentLeak = "2025-11-28-session-leak-memory-exhaustion.md";
inline constexpr const char* kIncidentNoSwap = "2026-02-08-no-swap-silent-oom-kill.md";

// swap.none / swap.inactive / swap.ok: /proc/swaps, /etc/fstab, zram-generator.conf,
// zramswap.service or dphys-swapfile.service.
[[nodiscard]] std::vector<Finding> check_swap(const SystemFiles& files);

// units.duplicate / units.duplicate-preset / units.ok: enabled services running the same
// program (see program_keys()).
[[nodiscard]] std::vector<Finding> check_duplicates(const SystemFiles& files,
                                                    const DoctorOptions& options);

// app.missing / app.restart-unlimited / app.no-memory-limit / app.ok / app.not-checked.
[[nodiscard]] std::vector<Finding> check_app_unit(const SystemFiles& files,
                                                  const DoctorOptions& options);

// watchdog.systemd-runtime / watchdog.daemon-enabled / watchdog.ok.
[[nodiscard]] std::vector<Finding> check_watchdog(const SystemFiles& files);

// oom.other-daemon / oom.ok: earlyoom, nohang (warning) or systemd-oomd (info) enabled.
[[nodiscard]] std::vector<Finding> check_oom_daemons(const SystemFiles& files);

// journal.volatile / journal.ok: Storage= in journald.conf(.d) and /var/log/journal.
[[nodiscard]] std::vector<Finding> check_journal(const SystemFiles& files);

// ssh.no-oom-protection / ssh.absent / ssh.ok: OOMScoreAdjust= of ssh.service/sshd.service.
[[nodiscard]] std::vector<Finding> check_ssh(const SystemFiles& files);

// All of the above, in this order.
[[nodiscard]] std::vector<Finding> run_offline_checks(const SystemFiles& files,
                                                      const DoctorOptions& options);

// What identifies "the same program" for one ExecStart= command line, after the
// systemd.service(5) prefixes "-@:+!|": the executable's base name ("mediamtx"), or for an
// interpreter (python3, sh, node, ...) its name and script ("python3 modules/app.py").
// When the executable is a shell script readable in `files`, the programs it starts
// (absolute or relative paths, interpreters) are keys too: a wrapper script that starts
// the same app as another unit is the 2025-10-23 duplicate.
[[nodiscard]] std::vector<std::string> program_keys(const SystemFiles& files,
                                                    const std::string& exec_start);

}  // namespace lifeline::doctor
