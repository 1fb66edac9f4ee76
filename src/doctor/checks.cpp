// The system-wide checks (swap, watchdog, other OOM daemons, journal, ssh) and the
// offline run. Unit-file checks: checks_units.cpp.
#include "doctor/checks.hpp"

#include <cstdlib>
#include <sstream>

namespace lifeline::doctor {
namespace {

std::vector<std::string> data_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    lines.push_back(line.substr(first));
  }
  return lines;
}

// "0", "off", "0s" and friends switch a systemd time setting off.
bool time_off(const std::string& value) {
  return value.empty() || value == "off" || value.find_first_not_of("0smin ") == std::string::npos;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

std::vector<Finding> check_swap(const SystemFiles& files) {
  const auto proc = files.read("/proc/swaps");
  std::vector<std::string> active;
  if (proc) {
    std::vector<std::string> lines = data_lines(*proc);
    for (std::size_t i = 1; i < lines.size(); ++i) active.push_back(lines[i]);  // [0]: header
  }
  if (!active.empty())
    return {ok_finding("swap.ok", "swap is active", "/proc/swaps: " + active.front())};

  std::vector<std::string> configured;
  if (const auto fstab = files.read("/etc/fstab")) {
    for (const std::string& line : data_lines(*fstab)) {
      std::istringstream fields(line);
      std::string device, mount, type;
      if (fields >> device >> mount >> type && type == "swap") {
        configured.push_back("/etc/fstab: " + line);
      }
    }
  }
  for (const char* path :
       {"/etc/systemd/zram-generator.conf", "/usr/lib/systemd/zram-generator.conf"}) {
    if (files.read(path)) configured.push_back(path);
  }
  const auto enabled = enabled_services(files);
  for (const char* unit : {"zramswap.service", "dphys-swapfile.service"}) {
    if (enabled.count(unit)) configured.push_back(std::string(unit) + " enabled");
  }
  if (!configured.empty()) {
    if (!proc)
      return {ok_finding("swap.ok", "swap is configured (not active-checked: no /proc/swaps)",
                         join(configured, "\n"))};
    return {{"swap.inactive", "swap is configured but not active",
             "/proc/swaps lists no device; configured: " + join(configured, "; "),
             "Configured swap that is not on gives no buffer: the kernel OOM killer acts at the "
             "first spike, as on 2026-02-08.",
             kIncidentNoSwap, "swapon -a   # and find out why it did not come up at boot",
             FindingSeverity::warning}};
  }
  return {{"swap.none", "no swap and no zram",
           std::string(proc ? "/proc/swaps lists no device" : "no /proc/swaps") +
               "; no swap line in /etc/fstab; no zram-generator.conf; zramswap and "
               "dphys-swapfile not enabled",
           "With no swap a short spike goes straight to the kernel OOM killer, which silently "
           "SIGKILLs a large process: on 2026-02-08 the backend just vanished, logs stopped "
           "mid-query.",
           kIncidentNoSwap,
           "apt install systemd-zram-generator   # zram: no SD-card wear\n"
           "# or a swap file: fallocate -l 2G /swapfile && chmod 600 /swapfile && "
           "mkswap /swapfile && swapon /swapfile && echo '/swapfile none swap sw 0 0' >> "
           "/etc/fstab",
           FindingSeverity::critical}};
}

std::vector<Finding> check_watchdog(const SystemFiles& files) {
  std::vector<Finding> findings;
  std::vector<std::string> sources;
  const UnitFile system = load_config(files, "/etc/systemd/system.conf", "system.conf.d", &sources);
  const auto runtime = system.last("Manager", "RuntimeWatchdogSec");
  if (runtime && !time_off(*runtime)) {
    findings.push_back(
        {"watchdog.systemd-runtime", "systemd (PID 1) drives the hardware watchdog",
         "RuntimeWatchdogSec=" + *runtime + " in " + join(sources, ", "),
         "/dev/watchdog has one owner. With PID 1 holding it, lifeline cannot open it, so a hung "
         "agent or a robot that is no longer safe is never reset by the hardware.",
         "",
         "set RuntimeWatchdogSec=off in /etc/systemd/system.conf.d/lifeline.conf, then "
         "systemctl daemon-reexec",
         FindingSeverity::warning});
  }
  const auto enabled = enabled_services(files);
  for (const char* unit : {"watchdog.service", "watchdogd.service"}) {
    if (!enabled.count(unit)) continue;
    findings.push_back({"watchdog.daemon-enabled", std::string(unit) + " is enabled",
                        std::string(unit) + " starts at boot",
                        "A second watchdog daemon competes with lifeline for /dev/watchdog: "
                        "whichever opens it first wins, and lifeline's hardware reset is lost.",
                        "", std::string("systemctl mask --now ") + unit, FindingSeverity::warning});
  }
  if (findings.empty())
    findings.push_back(ok_finding("watchdog.ok", "nothing else claims /dev/watchdog"));
  return findings;
}

std::vector<Finding> check_oom_daemons(const SystemFiles& files) {
  std::vector<Finding> findings;
  const auto enabled = enabled_services(files);
  for (const char* unit : {"earlyoom.service", "nohang.service", "systemd-oomd.service"}) {
    if (!enabled.count(unit)) continue;
    const bool oomd = std::string(unit) == "systemd-oomd.service";
    findings.push_back(
        {"oom.other-daemon", std::string(unit) + " is enabled beside lifeline's memory guard",
         std::string(unit) + " starts at boot",
         oomd ? "systemd-oomd kills only cgroups that opt in (ManagedOOM*=), usually user "
                "sessions; check the app's slice does not, or it and lifeline both act."
              : "Two daemons that kill on memory pressure race each other: the victim is "
                "whatever the other picked, and lifeline's black box has no reason for it.",
         "", std::string("systemctl disable --now ") + unit,
         oomd ? FindingSeverity::info : FindingSeverity::warning});
  }
  if (findings.empty()) findings.push_back(ok_finding("oom.ok", "no other OOM daemon is enabled"));
  return findings;
}

std::vector<Finding> check_journal(const SystemFiles& files) {
  std::vector<std::string> sources;
  const UnitFile journald =
      load_config(files, "/etc/systemd/journald.conf", "journald.conf.d", &sources);
  std::string storage = journald.last("Journal", "Storage").value_or("");
  if (storage.empty()) storage = "auto";  // journald.conf(5) default
  const bool directory = !files.list("/var/log/journal").empty();
  const std::string where = sources.empty() ? "(default)" : "in " + join(sources, ", ");
  if (storage == "persistent" || (storage == "auto" && directory)) {
    return {ok_finding("journal.ok", "the journal is kept on disk",
                       "Storage=" + storage + " " + where)};
  }
  const bool volatile_setting = storage == "volatile" || storage == "none";
  return {{"journal.volatile", "the journal is lost at every reboot",
           "Storage=" + storage + " " + where +
               (volatile_setting ? "" : ", and /var/log/journal is missing or empty"),
           "The evidence of the next crash (OOM kills, the last lines of the app) is gone "
           "after the reboot that recovers from it; on 2026-02-08 the logs simply stopped.",
           kIncidentNoSwap,
           volatile_setting
               ? "set Storage=persistent in /etc/systemd/journald.conf.d/lifeline.conf, then "
                 "systemctl restart systemd-journald"
               : "mkdir -p /var/log/journal && systemd-tmpfiles --create --prefix "
                 "/var/log/journal && systemctl restart systemd-journald",
           FindingSeverity::warning}};
}

std::vector<Finding> check_ssh(const SystemFiles& files) {
  for (const char* name : {"ssh.service", "sshd.service"}) {
    const auto loaded = load_unit(files, name);
    if (!loaded || loaded->masked) continue;
    const auto value = loaded->unit.last("Service", "OOMScoreAdjust");
    char* end = nullptr;
    const long score = value && !value->empty() ? std::strtol(value->c_str(), &end, 10) : 0;
    const bool parsed = value && !value->empty() && end && *end == '\0';
    std::string seen = loaded->path;
    for (const std::string& dropin : loaded->dropins) seen += ", " + dropin;
    seen += ": OOMScoreAdjust=" + (value ? *value : std::string("(unset)"));
    if (parsed && score <= -500)
      return {ok_finding("ssh.ok", std::string(name) + " is OOM-protected", seen)};
    return {{"ssh.no-oom-protection", std::string(name) + " can be chosen by the OOM killer", seen,
             "When memory runs out sshd is a candidate victim and the robot becomes unreachable: "
             "on 2025-10-23 SSH went down and the owner needed physical access to reboot. "
             "MemoryMin= also keeps its pages from being reclaimed, so a login stays fast.",
             kIncidentPort5000,
             std::string("mkdir -p /etc/systemd/system/") + name +
                 ".d && printf '[Service]\\nOOMScoreAdjust=-900\\nMemoryMin=16M\\n' > "
                 "/etc/systemd/system/" +
                 name + ".d/lifeline-oom.conf && systemctl daemon-reload && systemctl restart " +
                 name,
             FindingSeverity::warning}};
  }
  return {
      {"ssh.absent", "no ssh.service or sshd.service unit", "", "", "", "", FindingSeverity::info}};
}

std::vector<Finding> run_offline_checks(const SystemFiles& files, const DoctorOptions& options) {
  std::vector<Finding> all;
  for (auto&& part :
       {check_swap(files), check_duplicates(files, options), check_app_unit(files, options),
        check_watchdog(files), check_oom_daemons(files), check_journal(files), check_ssh(files)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace lifeline::doctor
