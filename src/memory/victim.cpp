#include "memory/victim.hpp"

#include <algorithm>
#include <array>

namespace lifeline::memory {

namespace {

// Processes whose death costs the owner the box or the record of what happened: the
// journal, sshd (its listener and every session, all named "sshd"), systemd (PID 1 and user
// managers), the bus. lifeline itself is matched by PID.
constexpr std::array<std::string_view, 5> kBuiltinNames{"systemd", "systemd-journal", "sshd",
                                                        "dbus-daemon", "dbus-broker"};

}  // namespace

bool names_a_unit(std::string_view entry) {
  for (std::string_view suffix : {".service", ".scope", ".slice"}) {
    if (entry.size() > suffix.size() && entry.ends_with(suffix)) return true;
  }
  return false;
}

bool cgroup_has_unit(std::string_view cgroup, std::string_view unit) {
  // A unit's cgroup is a path component: ".../ssh.service" or ".../ssh.service/...".
  std::size_t at = 0;
  while ((at = cgroup.find(unit, at)) != std::string_view::npos) {
    const bool starts = at > 0 && cgroup[at - 1] == '/';
    const std::size_t end = at + unit.size();
    const bool ends = end == cgroup.size() || cgroup[end] == '/';
    if (starts && ends) return true;
    at = end;
  }
  return false;
}

bool cgroup_within(std::string_view cgroup, std::string_view parent) {
  if (parent.empty() || parent == "/") return true;
  while (parent.size() > 1 && parent.back() == '/') parent.remove_suffix(1);
  if (!cgroup.starts_with(parent)) return false;
  return cgroup.size() == parent.size() || cgroup[parent.size()] == '/';
}

Protection protection(const ProcessInfo& p, const ProtectRules& rules) {
  if (p.pid == 1) return {true, "PID 1", {}};
  if (p.pid == rules.self) return {true, "lifeline itself", {}};
  if (p.kernel_thread) return {true, "a kernel thread", {}};
  // The owner's own "never kill" mark, honoured as the kernel's OOM killer does.
  if (p.oom_score_adj == -1000) return {true, "oom_score_adj -1000", {}};
  for (std::string_view name : kBuiltinNames) {
    if (p.comm == name) return {true, "built-in:", name};
  }
  for (const auto& name : rules.names) {
    if (p.comm == name) return {true, "protected name", name};
  }
  // A path cut to fit cannot be compared: keep the process rather than guess.
  if (p.exe.truncated() && !rules.paths.empty()) return {true, "exe path too long to check", {}};
  for (const auto& path : rules.paths) {
    if (p.exe == path) return {true, "protected path", path};
  }
  if (p.cgroup.truncated()) return {true, "cgroup path too long to check", {}};
  for (const auto& unit : rules.units) {
    if (cgroup_has_unit(p.cgroup, unit)) return {true, "protected unit", unit};
  }
  if (!rules.scope_cgroup.empty() && !cgroup_within(p.cgroup, rules.scope_cgroup)) {
    return {true, "outside", rules.scope_cgroup};
  }
  return {};
}

std::optional<VictimChoice> choose_victim(std::span<const ProcessInfo> processes,
                                          const ProtectRules& rules, VictimOrder order) {
  const ProcessInfo* best = nullptr;
  const auto better = [&](const ProcessInfo& a, const ProcessInfo& b) {
    return victim_before(a, b, order);
  };
  for (const auto& p : processes) {
    if (p.rss_kb == 0 || protection(p, rules).is_protected) continue;
    if (best == nullptr || better(p, *best)) best = &p;
  }
  if (best == nullptr) return std::nullopt;
  VictimChoice choice{*best, {}};
  if (order == VictimOrder::fastest) {
    choice.reason << "fastest growing: " << static_cast<long long>(best->growth_kib_per_s)
                  << " KiB/s, " << (best->rss_kb >> 10) << " MiB resident";
  } else {
    choice.reason << "largest resident set: " << (best->rss_kb >> 10) << " MiB";
  }
  return choice;
}

}  // namespace lifeline::memory
