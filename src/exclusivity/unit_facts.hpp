// What systemd says about its service units, as plain values: read over sd-bus by
// systemd_units.cpp (ListUnits, ListUnitFiles and each unit's properties), judged by the
// pure functions here and in conflicts.cpp. No bus, no clock: tested alone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::exclusivity {

// One command of a unit's ExecStart= as systemd's bus gives it (the property's path and
// argv; prefixes like "-" or "+" are already gone).
struct ExecCommand {
  std::string path;
  std::vector<std::string> argv;
  bool operator==(const ExecCommand&) const = default;
};

struct UnitFact {
  std::string name;              // "mediamtx.service"
  std::string active_state;      // "active", "activating", "inactive", "failed", ...
  std::string unit_file_state;   // "enabled", "disabled", "masked", "static", ...
  std::string unit_file_preset;  // "enabled", "disabled", "" (no preset applies)
  std::string fragment_path;     // "/etc/systemd/system/mediamtx.service"
  std::string control_group;     // "/system.slice/mediamtx.service"
  pid_t main_pid = 0;
  std::vector<ExecCommand> exec_start;
  bool operator==(const UnitFact&) const = default;
};

// The programs a command runs, most specific last: the executable itself, and through the
// usual wrappers the program they start: `env [-opts] [VAR=x] PROG`, an interpreter
// (python3, sh, bash, node, perl, ruby) with its script (`python3 -u app/main.py`), and
// `sh -c "exec PROG ..."`'s first word. So a role's binary given as a script name matches
// the unit that runs it through its interpreter.
std::vector<std::string> exec_programs(const ExecCommand& command);

// Whether any ExecStart command of `unit` runs `binary` (an absolute path: equal to a
// program; a name: equal to a program's file name).
bool unit_runs_binary(const UnitFact& unit, const std::string& binary);

// Running now, or about to be: what "stop" may stop.
bool unit_active(const UnitFact& unit);

// Why this unit would start at the next boot without anyone asking: "enabled",
// "enabled-runtime", "enabled by preset" (enabled, and the preset says so too: disabling
// it is undone by `systemctl preset`), or "preset would enable" (disabled now, the preset
// says enabled); "" when it would not (masked, static, disabled without a preset, ...).
std::string boot_reason(const UnitFact& unit);

// Whether a unit file state says the unit can no longer be started ("masked",
// "masked-runtime").
bool masked(std::string_view unit_file_state);

}  // namespace lifeline::exclusivity
