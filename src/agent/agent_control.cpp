// The Agent's operator surface: SIGHUP reload, the control socket's commands and the
// status snapshot they (and later the rescue page and metrics) render.
#include <systemd/sd-daemon.h>

#include "agent/agent.hpp"
#include "config/loader.hpp"

namespace lifeline {

namespace {

// Keys that name resources opened once at start; a reload reports them and keeps them.
std::vector<std::string> restart_only_changes(const Config& now, const Config& next) {
  std::vector<std::string> changed;
  if (now.agent.board != next.agent.board) changed.emplace_back("agent.board");
  if (now.agent.state_dir != next.agent.state_dir) changed.emplace_back("agent.state_dir");
  if (now.agent.control_socket != next.agent.control_socket) {
    changed.emplace_back("agent.control_socket");
  }
  if (now.watchdog.enabled != next.watchdog.enabled) changed.emplace_back("watchdog.enabled");
  if (now.watchdog.device != next.watchdog.device) changed.emplace_back("watchdog.device");
  if (now.blackbox.segment_bytes != next.blackbox.segment_bytes ||
      now.blackbox.segments != next.blackbox.segments) {
    changed.emplace_back("blackbox");
  }
  if (!(now.motion == next.motion)) changed.emplace_back("motion");
  if (!(now.rescue == next.rescue)) changed.emplace_back("rescue");
  if (!(now.memory == next.memory)) changed.emplace_back("memory");
  return changed;
}

}  // namespace

void Agent::on_reload_signal() {
  sd_notify(0, "RELOADING=1");
  auto loaded = load_config(options_.config_path);
  if (!loaded) {
    recorder_->record(Event{EventKind::config_rejected,
                            Fault::config_rejected,
                            Severity::warning,
                            "new configuration rejected, the running one is kept",
                            {{"config", options_.config_path}, {"error", loaded.error().message}}});
    faults_->raise(Fault::config_rejected, loaded.error().message);
  } else {
    apply_reload(std::move(*loaded));
  }
  sd_notify(0, "READY=1");
}

void Agent::apply_reload(Config next) {
  const auto kept = restart_only_changes(config_, next);
  std::string kept_text;
  for (const auto& key : kept) kept_text += (kept_text.empty() ? "" : ", ") + key;
  // Keep what was opened at start; take everything else from the new file.
  next.agent.board = config_.agent.board;
  next.board = config_.board;
  next.agent.state_dir = config_.agent.state_dir;
  next.agent.control_socket = config_.agent.control_socket;
  next.watchdog.enabled = config_.watchdog.enabled;
  next.watchdog.device = config_.watchdog.device;
  next.blackbox = config_.blackbox;
  next.motion = config_.motion;  // frames, ports and monitors are built once at start
  next.rescue = config_.rescue;  // the web server's sockets and threads, likewise
  next.memory = config_.memory;  // triggers, kmsg and the probe are opened once at start
  config_ = std::move(next);

  watchdog_->apply(config_.watchdog, config_.board.watchdog.max_timeout);
  signals_->apply_settings(signal_settings(config_.signals));
  reload_exclusivity();
  file_checks_.clear();  // removes their checks from the gate
  liveness_.reset();
  start_health_checks();
  faults_->clear(Fault::config_rejected, "a valid configuration was loaded");
  recorder_->record(Event{EventKind::config_reloaded,
                          std::nullopt,
                          kept.empty() ? Severity::info : Severity::warning,
                          kept.empty() ? "configuration reloaded"
                                       : "configuration reloaded; these need a restart and "
                                         "kept their running values: " +
                                             kept_text,
                          {{"config", config_.source_path},
                           {"file_checks", std::to_string(config_.health.file_checks.size())}}});
}

void Agent::clear_lockout(const std::string& who) {
  const bool was_locked = history_.lockout;
  lifeline::clear_lockout(history_);
  (void)save_history(config_.agent.state_dir, history_);
  gate_.set_mode(GateMode::normal);
  faults_->clear(Fault::boot_loop_lockout, "cleared by " + who);
  faults_->clear(Fault::unclean_reset, "acknowledged by " + who);
  recorder_->record(
      Event{EventKind::lockout_cleared,
            std::nullopt,
            Severity::warning,
            was_locked ? "boot-loop lockout cleared by " + who : "reset history cleared by " + who,
            {{"by", who}}});
}

nlohmann::json Agent::handle_control(const nlohmann::json& request) {
  const std::string command = request.value("command", "");
  if (command == "status") return {{"ok", true}, {"status", status_json()}};
  const std::string who = request.value("by", std::string("control socket"));
  if (command == "clear-lockout") {
    clear_lockout(who);
    return {{"ok", true}, {"status", status_json()}};
  }
  if (command == "rearm") {
    if (request.value("clear_lockout", false)) clear_lockout(who);
    if (!motion_) return {{"ok", true}, {"motion", "not configured"}};
    const auto result = motion_->rearm(who, motion_blocked_by());
    return {{"ok", result.accepted}, {"result", result.reason}};
  }
  if (command == "locate") {
    const int seconds = request.value("seconds", 30);
    signals_->locate(std::chrono::seconds(seconds));
    return {{"ok", true},
            {"result", seconds > 0 ? "locating for " + std::to_string(seconds) + " s"
                                   : std::string("locate cancelled")}};
  }
  if (command == "estop") {
    if (!motion_) return {{"ok", false}, {"error", "motion is not configured"}};
    motion_->estop(who);
    return {{"ok", true}, {"result", "motors stopped"}};
  }
  if (command == "ping") return {{"ok", true}};
  if (command == "exclusivity-released") return exclusivity_released(request, who);
  if (command == "restart-app" || command == "restart-ssh" || command == "reboot") {
    return request_unit_job(command, who);
  }
  return {{"ok", false}, {"error", "unknown command '" + command + "'"}};
}

std::string Agent::motion_blocked_by() const {
  if (history_.lockout) return "boot-loop lockout is active (rearm --clear-lockout)";
  if (watchdog_->status().gate_closed) return "the health gate is closed; the board is resetting";
  return {};
}

std::string Agent::state_name() const {
  const auto wd = watchdog_->status();
  if (wd.gate_closed) return "gate_closed";
  if (history_.lockout) return "lockout";
  if (!faults_->active_faults().empty()) return "degraded";
  return "healthy";
}

nlohmann::json Agent::status_json() const {
  const auto now = loop_->now();
  const auto wd = watchdog_->status();
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& active : faults_->active_faults()) {
    const auto& info = fault_info(active.fault);
    faults.push_back({{"fault", info.name},
                      {"code", fault_code(active.fault)},
                      {"severity", severity_name(info.severity)},
                      {"blink", {info.blink.long_blinks, info.blink.short_blinks}},
                      {"detail", active.detail},
                      {"since_s", std::chrono::duration_cast<std::chrono::seconds>(
                                      active.since.time_since_epoch())
                                      .count()}});
  }
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& check : gate_.view(now)) {
    checks.push_back({{"name", check.name},
                      {"passing", check.passing},
                      {"fresh", check.fresh},
                      {"essential", check.essential},
                      {"age_ms", check.age.count()},
                      {"deadline_ms", check.deadline.count()},
                      {"detail", check.detail}});
  }
  nlohmann::json last_pet_age = nullptr;
  if (wd.last_pet) {
    last_pet_age =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - *wd.last_pet).count();
  }
  return {
      {"state", state_name()},
      {"board", config_.board.name},
      {"boot_id", boot_id_},
      {"faults", faults},
      {"motion", motion_ ? motion_->status() : nlohmann::json(nullptr)},
      {"memory", memory_ ? memory_->status() : nlohmann::json(nullptr)},
      {"exclusivity", exclusivity_ ? exclusivity_->status() : nlohmann::json(nullptr)},
      {"doctor", doctor_status_},
      {"signals", signals_->status()},
      {"checks", checks},
      {"watchdog",
       {{"enabled", wd.enabled},
        {"open", wd.open},
        {"device", wd.device},
        {"identity", wd.identity},
        {"timeout_s", wd.timeout.count()},
        {"timeout_requested_s", wd.timeout_requested.count()},
        {"pet_interval_ms", wd.pet_interval.count()},
        {"pets", wd.pets},
        {"last_pet_age_ms", last_pet_age},
        {"boot_status", wd.boot_status},
        {"gate_closed", wd.gate_closed},
        {"gate_reason", wd.gate_reason}}},
      {"blackbox",
       {{"open", blackbox_ != nullptr},
        {"records_written", blackbox_ ? blackbox_->written() : 0},
        {"records_dropped", blackbox_ ? blackbox_->dropped() : 0}}},
      {"history",
       {{"boot_count", history_.boot_count},
        {"last_start_reason", history_.last_start_reason},
        {"consecutive_unclean", history_.consecutive_unclean},
        {"resets_in_window",
         resets_in_window(history_.unclean_resets_s, wall_seconds(), config_.lockout)},
        {"lockout", history_.lockout},
        {"lockout_reason", history_.lockout_reason}}},
  };
}

}  // namespace lifeline
