// The memory guard's part of the one status snapshot (lifeline status, the rescue page,
// /metrics): plain numbers, no recomputation.
#include "memory/memory_service.hpp"

#include <algorithm>

namespace lifeline::memory {

namespace {

nlohmann::json psi_json(const std::optional<Psi>& psi) {
  if (!psi) return nullptr;
  nlohmann::json out{{"some_avg10", psi->some.avg10},
                     {"some_avg60", psi->some.avg60},
                     {"some_total_us", psi->some.total_us}};
  if (psi->full) {
    out["full_avg10"] = psi->full->avg10;
    out["full_avg60"] = psi->full->avg60;
    out["full_total_us"] = psi->full->total_us;
  }
  return out;
}

}  // namespace

nlohmann::json MemoryService::domain_json(const Domain& d) const {
  nlohmann::json out{{"name", d.name},
                     {"level", std::string(level_name(d.ladder.level()))},
                     {"used_bytes", d.used_bytes},
                     {"available_bytes", d.reading.available_bytes},
                     {"total_bytes", d.reading.total_bytes},
                     {"available_percent", available_share(d.reading)},
                     {"growth_bytes_per_s", d.last_leak.trend.bytes_per_second},
                     {"leak", d.leak.leaking()}};
  if (!d.cgroup.empty()) out["cgroup"] = d.cgroup;
  if (!d.lookup.unit.empty()) {
    out["unit"] = d.lookup.unit;
    if (!d.lookup.user.empty()) out["user"] = d.lookup.user;
    const char* found = d.lookup.user.empty() ? "systemd" : "user manager";
    out["cgroup_from"] = d.lookup.confirmed ? found : "assumed";
    out["cgroup_job_signals"] = d.lookup.job_signals;
    out["cgroup_problem"] =
        d.lookup.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.lookup.problem);
  }
  if (!d.process.empty()) {
    out["process"] = d.process;
    out["processes"] = d.pids.size();
    out["anon_bytes"] = d.anon_bytes;
  }
  if (d.limit) out["limit_bytes"] = *d.limit;
  if (!d.pressure_file.empty()) {
    out["psi_triggers"] =
        d.psi && !d.psi->lost() ? nlohmann::json(d.psi->triggers()) : nlohmann::json::array();
    out["psi_events"] = d.psi ? d.psi->fired() : 0;
    // A refused registration: why, how many attempts failed in a row, and when the next is.
    out["psi_error"] = d.psi_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.psi_error);
    out["psi_failed_attempts"] = d.psi_failed;
    const auto next = d.psi_retry.next_attempt();
    out["psi_retry_in_ms"] =
        next ? nlohmann::json(std::max<std::int64_t>(
                   0, std::chrono::duration_cast<std::chrono::milliseconds>(*next - loop_.now())
                          .count()))
             : nlohmann::json(nullptr);
  }
  const bool system = &d == &domains_.front();
  const auto eta = system ? d.reading.eta : d.last_leak.eta;
  out["eta_s"] = eta ? nlohmann::json(eta->count()) : nlohmann::json(nullptr);
  return out;
}

nlohmann::json MemoryService::status() const {
  nlohmann::json domains = nlohmann::json::array();
  for (const Domain& d : domains_) domains.push_back(domain_json(d));
  nlohmann::json top = nlohmann::json::array();
  for (std::size_t i = 0; i < top_count_; ++i) {
    const ProcessInfo& p = top_[i];
    top.push_back(
        {{"pid", p.pid}, {"comm", p.comm.str()}, {"rss_kb", p.rss_kb}, {"cgroup", p.cgroup.str()}});
  }
  nlohmann::json ssh = nullptr;
  if (config_.ssh.probe) {
    ssh = {{"address", config_.ssh.address + ":" + std::to_string(config_.ssh.port)},
           {"reachable", ssh_seen_ ? nlohmann::json(ssh_last_.ok) : nlohmann::json(nullptr)},
           {"detail", ssh_last_.detail},
           {"latency_ms", static_cast<double>(ssh_last_.latency.count()) / 1000.0},
           {"consecutive_failures", ssh_policy_.consecutive_failures()},
           {"restarts", ssh_restarts_}};
  }
  return {{"dry_run", config_.dry_run},
          {"act_reserve_bytes", act_reserve_bytes_},
          {"act_rehearsal_bytes", act_rehearsal_bytes_},
          {"fast_sampling", fast_},
          {"mem_total_bytes", meminfo_.mem_total_kb * 1024},
          {"mem_available_bytes", meminfo_.mem_available_kb * 1024},
          {"swap_total_bytes", meminfo_.swap_total_kb * 1024},
          {"swap_free_bytes", meminfo_.swap_free_kb * 1024},
          {"refaults_per_s", refaults_per_s_},
          {"psi", psi_ ? psi_json(psi_->read()) : nlohmann::json(nullptr)},
          {"psi_triggers", psi_ ? nlohmann::json(psi_->triggers()) : nlohmann::json::array()},
          {"psi_events", psi_ ? psi_->fired() : 0},
          {"domains", std::move(domains)},
          {"top", std::move(top)},
          {"kills",
           {{"lifeline", lifeline_kills_},
            {"kernel_logged", kernel_kills_logged_},
            {"kernel_unlogged", kernel_kills_unlogged_},
            {"kernel_vmstat", vmstat_kills_},
            {"unit_actions", unit_actions_},
            {"dry_run_actions", dry_run_actions_}}},
          {"last_kill", last_kill_},
          {"last_kernel_kill", last_kernel_kill_},
          {"kmsg", kmsg_ ? nlohmann::json({{"records", kmsg_->records_read()},
                                           {"missed", kmsg_->records_missed()}})
                         : nlohmann::json(nullptr)},
          {"sshd_protected_pids", sshd_protected_},
          {"ssh", std::move(ssh)},
          {"problems", monitor_problems_}};
}

}  // namespace lifeline::memory
