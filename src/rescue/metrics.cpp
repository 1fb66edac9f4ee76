#include "rescue/metrics.hpp"

#include <array>
#include <set>

#include "fault/fault.hpp"
#include "rescue/escape.hpp"
#include "rescue/snapshot.hpp"

namespace lifeline::rescue {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 4> kStates{"healthy", "degraded", "lockout", "gate_closed"};
constexpr std::array<std::string_view, 7> kStopCauses{
    "startup", "app_dead", "app_hung", "app_errors", "crash_loop", "estop", "safe_state"};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // `labels` is already "key=\"value\"" text (values escaped), or empty.
  void sample(std::string_view name, const std::string& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    char buffer[32];
    const bool whole = value == static_cast<double>(static_cast<long long>(value));
    std::snprintf(buffer, sizeof buffer, whole ? "%.0f" : "%.6g", value);
    out_ += buffer;
    out_ += '\n';
  }
  void gauge(std::string_view name, std::string_view help, double value) {
    family(name, "gauge", help);
    sample(name, "", value);
  }
  void counter(std::string_view name, std::string_view help, double value) {
    family(name, "counter", help);
    sample(name, "", value);
  }

 private:
  std::string& out_;
};

std::string label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  append_label_value(out, value);
  out += '"';
  return out;
}

const json& part(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

double number(const json& value, double fallback = 0) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  return fallback;
}

void agent_metrics(Writer& w, const Snapshot& s) {
  const json& status = s.status;
  w.gauge("lifeline_up", "1 while lifeline publishes its state.", status.is_object() ? 1 : 0);
  w.family("lifeline_state", "gauge", "The agent's overall state: 1 for the current one.");
  const std::string state =
      part(status, "state").is_string() ? status["state"].get<std::string>() : std::string();
  for (auto name : kStates) w.sample("lifeline_state", label("state", name), name == state);
  std::set<std::uint16_t> active;
  const json& faults = part(status, "faults");
  if (faults.is_array()) {
    for (const auto& fault : faults)
      active.insert(static_cast<std::uint16_t>(number(part(fault, "code"))));
  }
  w.family("lifeline_fault_active", "gauge", "1 while the fault is active (docs/faults.md).");
  for (const auto& info : kFaultTable) {
    const auto code = fault_code(info.fault);
    w.sample("lifeline_fault_active",
             label("code", std::to_string(code)) + "," + label("fault", info.name) + "," +
                 label("severity", severity_name(info.severity)),
             active.contains(code) ? 1 : 0);
  }
  w.gauge("lifeline_snapshot_timestamp_seconds", "When this state was published (Unix time).",
          static_cast<double>(s.published_us) / 1e6);
}

void motion_metrics(Writer& w, const Snapshot& s) {
  const json& motion = part(s.status, "motion");
  if (!motion.is_object()) return;
  w.gauge("lifeline_motors_armed", "1 while motion is armed, 0 while the motors are stopped.",
          part(motion, "state") == "armed" ? 1 : 0);
  w.family("lifeline_motor_stops_total", "counter",
           "Motor stops since lifeline started, by cause.");
  for (auto cause : kStopCauses) {
    const auto it = s.stops_by_cause.find(std::string(cause));
    w.sample("lifeline_motor_stops_total", label("cause", cause),
             it == s.stops_by_cause.end() ? 0 : static_cast<double>(it->second));
  }
  w.counter("lifeline_stop_frames_written_total", "Stop frames written to the motor controller.",
            number(part(motion, "stop_frames_written")));
  w.gauge("lifeline_motor_serial_up", "1 while the motor controller's serial port is writable.",
          number(part(motion, "serial_up")));
  const json& app = part(motion, "app");
  w.counter("lifeline_app_deaths_total", "Deaths of the control app seen since lifeline started.",
            number(part(app, "deaths_total")));
  w.gauge("lifeline_app_alive", "1 while the app's process is alive (when watched).",
          number(part(app, "process_alive")));
  w.gauge("lifeline_app_crash_loop", "1 while the app is in a crash loop.",
          number(part(app, "crash_loop")));
  if (part(app, "lease_watched") == true) {
    w.gauge("lifeline_lease_alive", "1 while the app's heartbeat lease is renewed.",
            number(part(app, "lease_alive")));
    if (part(app, "lease_age_ms").is_number()) {
      w.gauge("lifeline_lease_age_seconds", "Time since the app last renewed its lease.",
              number(part(app, "lease_age_ms")) / 1000);
    }
  }
  if (part(app, "probe_watched") == true) {
    w.gauge("lifeline_probe_ok", "1 while the app's health URL answers.",
            number(part(app, "probe_ok")));
  }
}

void watchdog_metrics(Writer& w, const Snapshot& s) {
  const json& wd = part(s.status, "watchdog");
  const json& history = part(s.status, "history");
  w.gauge("lifeline_watchdog_open", "1 while the hardware watchdog is open.",
          number(part(wd, "open")));
  w.gauge("lifeline_watchdog_timeout_seconds", "The watchdog timeout in force.",
          number(part(wd, "timeout_s")));
  if (part(wd, "last_pet_age_ms").is_number()) {
    w.gauge("lifeline_watchdog_last_pet_age_seconds", "Time since the watchdog was last petted.",
            number(part(wd, "last_pet_age_ms")) / 1000);
  }
  w.counter("lifeline_watchdog_pets_total", "Watchdog pets since lifeline started.",
            number(part(wd, "pets")));
  w.gauge("lifeline_health_gate_closed", "1 once the health gate closed (the board resets).",
          number(part(wd, "gate_closed")));
  w.gauge("lifeline_boots", "Boots recorded in the reset history.",
          number(part(history, "boot_count")));
  w.gauge("lifeline_lockout", "1 while the boot-loop lockout holds the safe state.",
          number(part(history, "lockout")));
  const json& checks = part(s.status, "checks");
  if (checks.is_array() && !checks.empty()) {
    w.family("lifeline_health_check_passing", "gauge",
             "1 while the health check passes and is fresh.");
    for (const auto& check : checks) {
      const bool passing = part(check, "passing") == true && part(check, "fresh") == true;
      const json& name = part(check, "name");
      w.sample("lifeline_health_check_passing",
               label("check", name.is_string() ? name.get<std::string>() : "?"), passing);
    }
  }
}

void blackbox_metrics(Writer& w, const Snapshot& s) {
  const json& blackbox = part(s.status, "blackbox");
  if (!blackbox.is_object()) return;
  w.counter("lifeline_blackbox_records_total", "Black-box records written since lifeline started.",
            number(part(blackbox, "records_written")));
  w.counter("lifeline_blackbox_records_dropped_total",
            "Black-box records dropped because the writer's queue was full.",
            number(part(blackbox, "records_dropped")));
}

void memory_metrics(Writer& w, const Snapshot& s) {
  const json& memory = part(s.status, "memory");
  if (!memory.is_object()) return;
  w.gauge("lifeline_memory_available_bytes", "MemAvailable as lifeline last sampled it.",
          number(part(memory, "mem_available_bytes")));
  w.gauge("lifeline_memory_total_bytes", "MemTotal.", number(part(memory, "mem_total_bytes")));
  w.gauge("lifeline_swap_free_bytes", "Free swap.", number(part(memory, "swap_free_bytes")));
  w.gauge("lifeline_swap_total_bytes", "Total swap.", number(part(memory, "swap_total_bytes")));
  const json& psi = part(memory, "psi");
  if (psi.is_object()) {
    w.family("lifeline_memory_pressure_avg10_ratio", "gauge",
             "Memory PSI over 10 s: the share of time tasks stalled on memory.");
    w.sample("lifeline_memory_pressure_avg10_ratio", label("kind", "some"),
             number(part(psi, "some_avg10")) / 100);
    if (part(psi, "full_avg10").is_number()) {
      w.sample("lifeline_memory_pressure_avg10_ratio", label("kind", "full"),
               number(part(psi, "full_avg10")) / 100);
    }
  }
  const json& domains = part(memory, "domains");
  if (domains.is_array() && !domains.empty()) {
    w.family("lifeline_memory_leak_eta_seconds", "gauge",
             "Time until the domain runs out of memory at its trend; absent when not shrinking.");
    for (const auto& domain : domains) {
      const json& eta = part(domain, "eta_s");
      if (!eta.is_number()) continue;
      const json& name = part(domain, "name");
      w.sample("lifeline_memory_leak_eta_seconds",
               label("domain", name.is_string() ? name.get<std::string>() : "?"), number(eta));
    }
  }
  const json& kills = part(memory, "kills");
  if (kills.is_object()) {
    w.family("lifeline_oom_kills_total", "counter",
             "Processes killed for memory since lifeline started, by who killed them.");
    w.sample("lifeline_oom_kills_total", label("by", "kernel"),
             number(part(kills, "kernel_logged")) + number(part(kills, "kernel_unlogged")));
    w.sample("lifeline_oom_kills_total", label("by", "lifeline"), number(part(kills, "lifeline")));
  }
  const json& ssh = part(memory, "ssh");
  if (ssh.is_object()) {
    w.gauge("lifeline_ssh_up", "1 while sshd sends its banner to lifeline's probe.",
            part(ssh, "reachable") == true ? 1 : 0);
    w.counter("lifeline_ssh_restarts_total", "Restarts of the ssh unit by lifeline.",
              number(part(ssh, "restarts")));
  }
}

}  // namespace

std::string render_metrics(const Snapshot& snapshot) {
  std::string out;
  out.reserve(8192);
  Writer w(out);
  agent_metrics(w, snapshot);
  motion_metrics(w, snapshot);
  watchdog_metrics(w, snapshot);
  memory_metrics(w, snapshot);
  blackbox_metrics(w, snapshot);
  return out;
}

}  // namespace lifeline::rescue
