#include "exclusivity/conflicts.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace lifeline::exclusivity {

namespace {

std::string_view file_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

const ProcessFact* find_process(const Observation& seen, pid_t pid) {
  for (const ProcessFact& p : seen.processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

bool is_service(const std::string& unit) {
  return unit.ends_with(".service");
}

std::string fix_for(const std::string& unit, pid_t pid) {
  if (is_service(unit)) return "systemctl stop " + unit + " && systemctl mask " + unit;
  return "kill " + std::to_string(pid);
}

const UnitFact* find_unit(const Observation& seen, const std::string& name) {
  for (const UnitFact& u : seen.units) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

Conflict make(const RoleConfig& role, ConflictKind kind, std::string shared, const ProcessFact& p,
              const Observation& seen) {
  Conflict c{role.name, kind,      std::move(shared),      role.unit, p.unit,
             p.pid,     p.cmdline, fix_for(p.unit, p.pid), ""};
  if (const UnitFact* u = find_unit(seen, p.unit)) c.boot = boot_reason(*u);
  return c;
}

// One conflict per duplicate unit (its processes are one duplicate), one per stray process.
void add_once(std::vector<Conflict>& out, std::set<std::string>& keys, Conflict conflict) {
  if (keys.insert(conflict.key()).second) out.push_back(std::move(conflict));
}

std::string command_text(const ExecCommand& command) {
  std::string out;
  for (const std::string& arg : command.argv) out += (out.empty() ? "" : " ") + arg;
  return out.empty() ? command.path : out;
}

// Units other than the owner whose ExecStart runs one of the role's binaries: a running
// one is the same duplicate /proc shows (same key), one that is not running counts when it
// would start at boot or after a preset. Masked units are neutralised already.
void unit_conflicts(const RoleConfig& role, const Observation& seen, std::vector<Conflict>& out,
                    std::set<std::string>& keys) {
  for (const UnitFact& u : seen.units) {
    if (u.name == role.unit || !is_service(u.name) || masked(u.unit_file_state)) continue;
    for (const std::string& binary : role.binaries) {
      if (!unit_runs_binary(u, binary)) continue;
      const bool running = unit_active(u);
      const std::string why = boot_reason(u);
      if (!running && why.empty()) continue;
      Conflict c{role.name,
                 running ? ConflictKind::binary : ConflictKind::boot,
                 binary,
                 role.unit,
                 u.name,
                 running ? u.main_pid : 0,
                 u.exec_start.empty() ? "" : command_text(u.exec_start.front()),
                 running ? fix_for(u.name, 0) : "systemctl mask " + u.name,
                 why};
      add_once(out, keys, std::move(c));
    }
  }
}

void port_conflicts(const RoleConfig& role, const Observation& seen, std::vector<Conflict>& out,
                    std::set<std::string>& keys) {
  for (const RolePort& port : role.ports) {
    for (const PortHolder& holder : seen.holders) {
      if (!(holder.port == port)) continue;
      const ProcessFact* p = find_process(seen, holder.pid);
      if (p == nullptr || p->unit == role.unit) continue;
      add_once(out, keys, make(role, ConflictKind::port, port_text(port), *p, seen));
    }
  }
}

void binary_conflicts(const RoleConfig& role, const Observation& seen, std::vector<Conflict>& out,
                      std::set<std::string>& keys) {
  for (const std::string& binary : role.binaries) {
    std::vector<const ProcessFact*> instances;
    for (const ProcessFact& p : seen.processes) {
      if (!runs_binary(p, binary)) continue;
      // A child of the same program (a forking server, a worker pool) is its parent's
      // instance, not a second one.
      const ProcessFact* parent = find_process(seen, p.ppid);
      if (parent != nullptr && runs_binary(*parent, binary)) continue;
      instances.push_back(&p);
      if (p.unit != role.unit) {
        add_once(out, keys, make(role, ConflictKind::binary, binary, p, seen));
      }
    }
    if (instances.size() <= role.max_instances) continue;
    // Too many: name the instances beyond the allowed count, the owner's own last, so the
    // fix points at a duplicate rather than at the owner when there is one.
    std::stable_sort(instances.begin(), instances.end(),
                     [&](const ProcessFact* a, const ProcessFact* b) {
                       return (a->unit == role.unit) > (b->unit == role.unit);
                     });
    const std::string shared = std::string(file_name(binary)) + ": " +
                               std::to_string(instances.size()) + " running, " +
                               std::to_string(role.max_instances) + " allowed";
    for (std::size_t i = role.max_instances; i < instances.size(); ++i) {
      Conflict c = make(role, ConflictKind::instances, shared, *instances[i], seen);
      if (instances[i]->unit == role.unit) c.fix = "kill " + std::to_string(instances[i]->pid);
      add_once(out, keys, std::move(c));
    }
  }
}

}  // namespace

std::string_view conflict_kind_name(ConflictKind kind) {
  switch (kind) {
    case ConflictKind::port:
      return "port";
    case ConflictKind::binary:
      return "binary";
    case ConflictKind::instances:
      return "instances";
    case ConflictKind::boot:
      return "boot";
  }
  return "?";
}

std::string Conflict::key() const {
  // A unit is one duplicate whatever its PIDs; a stray process is itself. The count is
  // left out of an instance conflict's key so a changing count is not a new duplicate.
  const std::string who = unit.empty() ? "pid " + std::to_string(pid) : unit;
  const std::string what =
      kind == ConflictKind::instances ? shared.substr(0, shared.find(':')) : shared;
  return role + "|" + std::string(conflict_kind_name(kind)) + "|" + what + "|" + who;
}

bool Conflict::stoppable() const {
  return is_service(unit) && unit != owner;
}

bool runs_binary(const ProcessFact& process, const std::string& binary) {
  if (binary.empty()) return false;
  std::string_view exe = process.exe;
  if (exe.ends_with(" (deleted)")) exe.remove_suffix(10);  // replaced by an upgrade
  if (binary.front() == '/') return exe == binary || process.argv0 == binary;
  return (!exe.empty() && file_name(exe) == binary) ||
         (!process.argv0.empty() && file_name(process.argv0) == binary);
}

std::vector<Conflict> find_conflicts(const std::vector<RoleConfig>& roles,
                                     const Observation& seen) {
  std::vector<Conflict> out;
  for (const RoleConfig& role : roles) {
    std::set<std::string> keys;
    unit_conflicts(role, seen, out, keys);
    port_conflicts(role, seen, out, keys);
    binary_conflicts(role, seen, out, keys);
  }
  return out;
}

std::string holders_text(const Observation& seen, const RolePort& port) {
  std::set<std::string> names;
  for (const PortHolder& holder : seen.holders) {
    if (!(holder.port == port)) continue;
    const ProcessFact* p = find_process(seen, holder.pid);
    if (p == nullptr) continue;
    names.insert(p->unit.empty() ? "PID " + std::to_string(p->pid) : p->unit);
  }
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "nobody" : out;
}

OwnerVerdict owner_verdict(const RoleConfig& role, const Observation& seen) {
  OwnerVerdict verdict;
  if (role.ports.empty()) {
    verdict.result = OwnerVerdict::Result::no_ports;
    verdict.text = "no ports to verify";
    return verdict;
  }
  for (const RolePort& port : role.ports) {
    const std::string holders = holders_text(seen, port);
    if (holders != role.unit) verdict.result = OwnerVerdict::Result::not_holding;
    verdict.text += (verdict.text.empty() ? "" : ", ") + port_text(port) + " held by " + holders;
  }
  if (verdict.result == OwnerVerdict::Result::holds) return verdict;
  const auto owner = std::find_if(seen.units.begin(), seen.units.end(),
                                  [&](const UnitFact& u) { return u.name == role.unit; });
  // Only a state systemd reports as not running: "activating" may already hold a port,
  // and a missing fact (no bus, or the owner not loaded) proves nothing.
  const bool idle = owner != seen.units.end() &&
                    (owner->active_state == "inactive" || owner->active_state == "failed" ||
                     owner->active_state == "deactivating");
  if (idle) {
    verdict.result = OwnerVerdict::Result::owner_idle;
    verdict.text = role.unit + " is " + owner->active_state + " (" + verdict.text + ")";
  }
  return verdict;
}

}  // namespace lifeline::exclusivity
