// The [memory] keys of lifeline.toml (see schema.hpp and docs/memory-guard.md).
#include <array>

#include "config/schema.hpp"

namespace lifeline::schema {

namespace {

using K = Kind;

constexpr std::array<std::string_view, 4> kMemorySections{"memory", "memory.psi", "memory.leak",
                                                          "memory.ssh"};

// Defaults must match memory/memory_config.hpp; ConfigSchema.DefaultsMatchConfigStruct checks.
constexpr std::array kMemoryKeys{
    Key{"memory", "enabled", K::boolean, 0, 0, "", "false",
        "Run the memory guard. Off by default: it kills processes, so list what it must "
        "protect first."},
    Key{"memory", "dry_run", K::boolean, 0, 0, "", "false",
        "Decide and record every step, but kill, stop and restart nothing."},
    Key{"memory", "sample_interval_ms", K::integer, 100, 60000, "ms", "2000",
        "How often memory is sampled while it is plentiful."},
    Key{"memory", "fast_sample_interval_ms", K::integer, 50, 60000, "ms", "250",
        "How often once below the warn level or under pressure; at most sample_interval_ms."},
    Key{"memory", "warn_available_percent", K::integer, 1, 90, "", "15",
        "MemAvailable (or a watch's headroom) below this share of MemTotal (or its limit) "
        "raises memory_low and takes a top-RSS snapshot."},
    Key{"memory", "relieve_available_percent", K::integer, 1, 90, "", "10",
        "Below this share, relieve: restart an expendable unit, else SIGTERM a victim then "
        "SIGKILL after grace_ms. At most warn_available_percent."},
    Key{"memory", "kill_available_percent", K::integer, 0, 90, "", "5",
        "Below this share, SIGKILL the victim at once; 0 = never skip the grace. At most "
        "relieve_available_percent."},
    Key{"memory", "clear_margin_percent", K::integer, 0, 50, "", "3",
        "Hysteresis: a level ends only when the share rises this far above its threshold."},
    Key{"memory", "eta_relieve_s", K::integer, 0, 3600, "s", "30",
        "Also relieve when the falling MemAvailable would reach zero sooner than this, below "
        "the warn level; 0 = thresholds only."},
    Key{"memory", "grace_ms", K::integer, 0, 60000, "ms", "1500",
        "Time between SIGTERM and SIGKILL of a victim."},
    Key{"memory", "min_relief_interval_ms", K::integer, 0, 600000, "ms", "5000",
        "At least this long between two reliefs (so one spike cannot cause a kill storm)."},
    Key{"memory", "record_wait_ms", K::integer, 0, 5000, "ms", "200",
        "How long a kill waits for its black-box record (snapshot and reason) to reach the "
        "disk; the kill goes ahead after this even if the disk is slower."},
    Key{"memory", "top_n", K::integer, 1, 32, "", "8", "Processes listed in a top-RSS snapshot."},
    Key{"memory", "act_reserve_kib", K::integer, 0, 65536, "KiB", "512",
        "Heap faulted in and kept at start so acting never waits for the page allocator."},
    Key{"memory", "protect", K::string_list, 0, 0, "", "[]",
        "Never killed, in addition to lifeline, PID 1, kernel threads, journald and sshd: "
        "process names (comm), absolute executable paths, or unit names (*.service, *.scope)."},
    Key{"memory", "expendable_units", K::string_list, 0, 0, "", "[]",
        "Units asked (sd-bus) to restart or stop, in order, before any process is killed."},
    Key{"memory", "expendable_action", K::string, 0, 0, "", R"("restart")",
        R"(What is asked of an expendable unit: "restart" or "stop".)"},
    Key{"memory", "victim", K::string, 0, 0, "", R"("largest")",
        R"(How a victim is chosen: "largest" resident set, or "fastest" growing one.)"},
    Key{"memory", "victim_cgroup", K::path, 0, 0, "", R"("")",
        "Only processes in this cgroup (a path below the cgroup mount, e.g. \"/app.slice\") "
        "may be killed for the system's sake; \"\" = any unprotected process."},
    Key{"memory", "kmsg", K::boolean, 0, 0, "", "true",
        "Read /dev/kmsg and record every kernel OOM kill."},
    Key{"memory", "kmsg_backlog", K::boolean, 0, 0, "", "false",
        "Also record the OOM kills the kernel logged since boot, before lifeline started."},
    Key{"memory", "oom_score_adj", K::integer, -1000, 1000, "", "-1000",
        "lifeline's own /proc/self/oom_score_adj (-1000: the kernel never picks it)."},
    Key{"memory", "watch", K::table_array, 0, 0, "", "none",
        "Zero or more [[memory.watch]] tables."},
    Key{"memory.watch", "name", K::string, 0, 0, "", "required",
        "Unique name, 1 to 32 characters from a-z, 0-9, '_' and '-'."},
    Key{"memory.watch", "unit", K::string, 0, 0, "", R"("")",
        "A systemd unit whose cgroup is watched: a system unit where systemd's ControlGroup "
        "says it runs (/system.slice/UNIT until it answers), or with user, a unit of that "
        "user's manager. Exactly one of unit, cgroup and process."},
    Key{"memory.watch", "user", K::string, 0, 0, "", R"("")",
        "With unit: the unit is a user unit (systemd --user) of this user (a name or a UID), "
        "found by name below /user.slice/user-UID.slice/user@UID.service."},
    Key{"memory.watch", "cgroup", K::path, 0, 0, "", R"("")",
        "A cgroup path below the (memory) cgroup mount, e.g. \"/robot.slice/app.service\"."},
    Key{"memory.watch", "process", K::string, 0, 0, "", R"("")",
        "A program outside any watched cgroup: its comm name or the absolute path of its "
        "executable; the resident sets of all its processes are summed."},
    Key{"memory.psi", "enabled", K::boolean, 0, 0, "", "true",
        "Register PSI triggers on /proc/pressure/memory (woken by the kernel, not polled)."},
    Key{"memory.psi", "some_stall_ms", K::integer, 1, 10000, "ms", "150",
        "A \"some\" stall this long within window_ms wakes the guard."},
    Key{"memory.psi", "full_stall_ms", K::integer, 1, 10000, "ms", "50",
        "A \"full\" stall this long within window_ms wakes the guard."},
    Key{"memory.psi", "window_ms", K::integer, 500, 10000, "ms", "1000",
        "The trigger window (the kernel allows 500 ms to 10 s); each stall at most this."},
    Key{"memory.leak", "raise_kib_per_s", K::integer, 1, 1048576, "", "256",
        "Steady growth (KiB/s) at or above this, for min_duration_s, raises memory_leak."},
    Key{"memory.leak", "clear_kib_per_s", K::integer, 0, 1048576, "", "64",
        "A raised leak clears when growth falls below this (KiB/s); at most raise_kib_per_s."},
    Key{"memory.leak", "min_duration_s", K::integer, 1, 86400, "s", "120",
        "How long growth must last before it counts as a leak."},
    Key{"memory.leak", "window_samples", K::integer, 5, 256, "", "30",
        "Samples the trend is estimated over (Theil-Sen)."},
    Key{"memory.ssh", "enabled", K::boolean, 0, 0, "", "true",
        "Connect to sshd and read its SSH-2.0 banner every interval_ms."},
    Key{"memory.ssh", "address", K::string, 0, 0, "", R"("127.0.0.1")",
        "IPv4 or IPv6 address the probe connects to."},
    Key{"memory.ssh", "port", K::integer, 1, 65535, "", "22", "TCP port of sshd."},
    Key{"memory.ssh", "interval_ms", K::integer, 500, 3600000, "ms", "5000",
        "Time between probes."},
    Key{"memory.ssh", "timeout_ms", K::integer, 100, 60000, "ms", "2000",
        "A banner not read within this fails the probe; less than interval_ms."},
    Key{"memory.ssh", "failures", K::integer, 1, 100, "", "3",
        "Consecutive failed probes that raise ssh_unreachable and restart the unit."},
    Key{"memory.ssh", "unit", K::string, 0, 0, "", R"("ssh.service")",
        "The sshd unit restarted (sd-bus) when unreachable; \"\" = never restart."},
    Key{"memory.ssh", "restart_min_interval_s", K::integer, 0, 86400, "s", "300",
        "At most one restart this often; 0 = never restart."},
    Key{"memory.ssh", "start_grace_s", K::integer, 0, 3600, "s", "60",
        "Until sshd first answers, failed probes count only after this long (boot order)."},
    Key{"memory.ssh", "protect", K::boolean, 0, 0, "", "true",
        "Set oom_score_adj of every sshd process (listener and sessions)."},
    Key{"memory.ssh", "oom_score_adj", K::integer, -1000, 1000, "", "-900",
        "The oom_score_adj given to sshd processes."},
};

}  // namespace

std::span<const std::string_view> memory_sections() {
  return kMemorySections;
}
std::span<const Key> memory_keys() {
  return kMemoryKeys;
}

}  // namespace lifeline::schema
