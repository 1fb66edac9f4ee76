// What systemd says about the control app's unit, and the pure rules that turn two
// snapshots into the transitions lifeline acts on. No D-Bus here: the UnitWatcher fills a
// UnitState from the bus, these functions decide what changed, so the rules are unit
// tested without a bus and fuzzed without a daemon.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::motion {

// The properties lifeline reads, named as systemd names them on
// org.freedesktop.systemd1.Unit (active_state, sub_state) and
// org.freedesktop.systemd1.Service (the rest).
struct UnitState {
  std::string active_state;           // "active", "activating", "deactivating", "failed", ...
  std::string sub_state;              // "running", "auto-restart", "stop-sigterm", ...
  std::string result;                 // "success", "signal", "oom-kill", "exit-code", ...
  std::uint32_t main_pid = 0;         // 0: no main process right now
  std::int32_t exec_main_code = 0;    // CLD_EXITED / CLD_KILLED / CLD_DUMPED, 0 if none yet
  std::int32_t exec_main_status = 0;  // exit status or signal number, per exec_main_code
  std::uint32_t n_restarts = 0;       // automatic restarts since the last manual start

  bool operator==(const UnitState&) const = default;
};

enum class UnitChange : std::uint8_t {
  main_pid_changed,  // MainPID differs (also to or from 0)
  became_failed,     // ActiveState entered "failed"
  became_active,     // ActiveState entered "active"
  stopping,          // ActiveState entered "deactivating"
  restarted,         // NRestarts increased: systemd restarted the unit by itself
};

[[nodiscard]] std::string_view unit_change_name(UnitChange change);

// The transitions between two snapshots, in the enum's order; empty when none matter.
// Only entering a state counts, so a repeated snapshot reports nothing.
[[nodiscard]] std::vector<UnitChange> diff_unit_state(const UnitState& before,
                                                      const UnitState& after);

// How the main process ended, for a person: "exited with status 1", "killed by signal 9
// (KILL)", "dumped core on signal 11 (SEGV)". Always one printable ASCII line.
[[nodiscard]] std::string describe_exit(std::int32_t code, std::int32_t status);

// The same in systemctl's own spelling ("code=killed, status=9/KILL"), so a record can be
// matched against `systemctl status` and the journal.
[[nodiscard]] std::string systemd_exit_text(std::int32_t code, std::int32_t status);

// One line for logs: "failed/failed result=signal pid=0 restarts=3 (killed by signal 9 (KILL))".
[[nodiscard]] std::string describe_unit_state(const UnitState& state);

inline constexpr std::string_view kUnitPathPrefix = "/org/freedesktop/systemd1/unit/";

// systemd's object path for a unit name: kUnitPathPrefix + the name escaped the way
// systemd's bus_label_escape() does it (src/basic/bus-label.c; the public form is
// sd_bus_path_encode(3)): every byte that is not [A-Za-z0-9] becomes '_' and two
// lowercase hex digits, a digit in the first position is escaped too, and the empty
// name becomes "_". "avatar-tank.service" ->
// ".../unit/avatar_2dtank_2eservice". The result only contains [A-Za-z0-9_/].
[[nodiscard]] std::string unit_object_path(std::string_view unit);

}  // namespace lifeline::motion
