// The exclusivity policy: pure. What the monitor saw (who holds which port, which
// programs run where, which units systemd has and would start at boot) and the roles in;
// every duplicate out, each with the exact command a person would run. No clock, no /proc,
// no bus: tested alone (tests/unit/exclusivity_*).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "exclusivity/exclusivity_config.hpp"
#include "exclusivity/unit_facts.hpp"

namespace lifeline::exclusivity {

// One process as the monitor read it.
struct ProcessFact {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string exe;      // /proc/PID/exe target ("" when unreadable)
  std::string argv0;    // argv[0]
  std::string cmdline;  // arguments joined by spaces
  std::string cgroup;   // the systemd cgroup path
  std::string unit;     // unit_of_cgroup(cgroup): "" for none
  bool operator==(const ProcessFact&) const = default;
};

// A process that holds a port (TCP listening, UDP bound).
struct PortHolder {
  RolePort port;
  pid_t pid = 0;
  bool operator==(const PortHolder&) const = default;
};

struct Observation {
  std::vector<ProcessFact> processes;  // every process read
  std::vector<PortHolder> holders;     // only for the roles' ports
  std::vector<UnitFact> units;         // systemd's service units; empty without a bus
};

// `boot`: a unit that is not running but would start at boot (or after `systemctl preset`)
// and runs a role's binary.
enum class ConflictKind : std::uint8_t { port, binary, instances, boot };
std::string_view conflict_kind_name(ConflictKind kind);  // "port", "binary", ...

struct Conflict {
  std::string role;
  ConflictKind kind = ConflictKind::port;
  std::string shared;  // "tcp/8554", "/usr/bin/mediamtx", "mediamtx: 2 running, 1 allowed"
  std::string owner;   // the role's unit
  std::string unit;    // the duplicate's unit; "" for a process outside any unit
  pid_t pid = 0;       // the duplicate process (the first one seen, for a unit)
  std::string cmdline;
  std::string fix;   // "systemctl stop X && systemctl mask X", or "kill PID"
  std::string boot;  // a unit's boot_reason(): "enabled", "enabled by preset", ...; "" = none
  // Same key = the same duplicate across checks (recorded once, not every check).
  [[nodiscard]] std::string key() const;
  // A service unit other than the owner: what mode "stop" may ask systemd to stop. A
  // scope (a login session, a `systemd-run --scope`) is never stopped, only reported.
  [[nodiscard]] bool stoppable() const;
  // A unit that is running (not only enabled): what "stop" stops before masking.
  [[nodiscard]] bool running() const { return kind != ConflictKind::boot; }
  bool operator==(const Conflict&) const = default;
};

// Whether `process` runs `binary` (an absolute path: the executable, a " (deleted)" suffix
// ignored; a name: the executable's or argv[0]'s file name).
bool runs_binary(const ProcessFact& process, const std::string& binary);

// Every duplicate of every role, in role order: units whose ExecStart runs a role binary
// (running, or enabled at boot), then ports, running binaries, instance counts.
std::vector<Conflict> find_conflicts(const std::vector<RoleConfig>& roles, const Observation& seen);

// The port's holders: unit names, or "PID N" for a process outside any unit; "nobody".
std::string holders_text(const Observation& seen, const RolePort& port);

// After a duplicate's stop: does the role's owner hold every one of its ports?
// `owner_idle`: systemd reports the owner not running ("inactive", "failed", ...), as at
// boot, when the one-shot check runs before the app starts; its ports are then not a
// finding (they are checked again once it runs). Unknown when there are no unit facts
// (no bus): the ports decide.
struct OwnerVerdict {
  enum class Result : std::uint8_t { holds, not_holding, owner_idle, no_ports };
  Result result = Result::holds;
  std::string text;  // "tcp/8554 held by avatar-tank.service, tcp/5000 held by nobody"
};
OwnerVerdict owner_verdict(const RoleConfig& role, const Observation& seen);

}  // namespace lifeline::exclusivity
