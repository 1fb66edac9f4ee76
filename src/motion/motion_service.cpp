// The motor dead-man's wiring: start (frames, outputs, monitors), the policy's decisions
// carried out (stops, re-arms, e-stop, safe state), the cause faults and the status. What
// the monitors report of the app is in motion_app.cpp.
#include "motion/motion_service.hpp"

#include <algorithm>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion {

namespace {

Fault fault_for(StopCause cause) {
  switch (cause) {
    case StopCause::app_dead:
      return Fault::app_dead;
    case StopCause::app_hung:
      return Fault::app_hung;
    case StopCause::app_errors:
      return Fault::app_errors;
    case StopCause::crash_loop:
      return Fault::app_crash_loop;
    case StopCause::estop:
      return Fault::estop_active;
    default:
      return Fault::motors_awaiting_rearm;
  }
}

Expected<MotorFrames> frames_from(const MotionConfig& config) {
  if (config.protocol == "none") return MotorFrames{};
  auto protocol = parse_motor_protocol(config.protocol);
  if (!protocol) return Error{0, "motion.protocol: unknown protocol '" + config.protocol + "'"};
  MotorProtocolConfig pc;
  pc.protocol = *protocol;
  pc.address = static_cast<std::uint8_t>(config.address);
  pc.odrive_axes = config.odrive_axes;
  pc.odrive_stop = config.odrive_stop == "idle"            ? OdriveStopMode::idle
                   : config.odrive_stop == "velocity-zero" ? OdriveStopMode::velocity_zero
                                                           : OdriveStopMode::both;
  if (!config.custom_stop_hex.empty()) {
    auto bytes = parse_hex_bytes(config.custom_stop_hex);
    if (!bytes) return bytes.error();
    pc.custom_stop = *bytes;
  }
  pc.controller_timeout = config.controller_timeout;
  return build_motor_frames(pc);
}

// The stop's own times beside the record's (which is when the record was made, after the
// faults): absolute CLOCK_REALTIME µs, comparable with the record's realtime_us and with a
// time taken in another process, and the one delay a person reading the log wants.
void add_stop_timing(std::vector<EventField>& fields, Detection detection, StopStamps stamps) {
  auto add = [&](const char* key, std::int64_t us) {
    if (us > 0) fields.push_back(EventField{key, std::to_string(us)});
  };
  add("detected_us", detection.detected_us);
  add("loop_woke_us", detection.woke_us);
  add("frames_written_us", stamps.frames_written_us);
  add("enable_low_us", stamps.enable_low_us);
  const std::int64_t stopped_us = std::max(stamps.frames_written_us, stamps.enable_low_us);
  if (detection.detected_us > 0 && stopped_us > 0) {
    add("detected_to_stopped_us", std::max<std::int64_t>(stopped_us - detection.detected_us, 1));
  }
}

}  // namespace

MotionService::MotionService(EventLoop& loop, FaultSet& faults, EventSink& sink, HealthGate& gate,
                             const MotionConfig& config)
    : loop_(loop),
      faults_(faults),
      sink_(sink),
      gate_(gate),
      config_(config),
      policy_(DeadManSettings{config.auto_rearm_after}),
      crash_loop_(config.app.crash_loop_deaths, config.app.crash_loop_window) {}

MotionService::~MotionService() {
  unit_.reset();  // its callback feeds process_
  probe_.reset();
  lease_.reset();
  process_.reset();
  if (output_check_) gate_.remove_check(*output_check_);
}

Status MotionService::start(const BoardHal& board, SafeState& safe_state) {
  auto frames = frames_from(config_);
  if (!frames) return frames.error();
  frames_description_ = frames->description;
  StopPathSettings settings;
  settings.category = config_.stop_category;
  settings.cat1_delay = config_.cat1_delay;
  settings.repeat = config_.stop_repeat;
  settings.stop_frame = frames->stop;
  settings.arm_frame = frames->arm;
  settings.keepalive_frame = frames->keepalive;
  if (!frames->keepalive.empty() && config_.controller_timeout.count() > 0) {
    settings.keepalive = config_.controller_timeout / 3;  // three chances before it fires
  }
  std::unique_ptr<hal::SerialLink> serial;
  if (!frames->stop.empty()) {
    auto link = board.make_motor_serial(config_.serial_device);
    if (!link) return link.error();
    serial = std::move(*link);
  }
  std::unique_ptr<hal::OutputLine> enable;
  if (config_.use_enable_line) {
    auto line = board.make_output("motor_enable", false);
    if (line) {
      enable = std::move(*line);
    } else {
      faults_.raise(Fault::motor_enable_unavailable, line.error().message);
    }
  }
  stop_path_ =
      std::make_unique<StopPath>(loop_, faults_, settings, std::move(serial), std::move(enable));
  if (auto prepared = stop_path_->prepare(); !prepared) return prepared;
  safe_state.add(*this);
  if (config_.reset_board_on_output_failure) {
    output_check_ = gate_.add_check("motor-outputs", std::chrono::seconds(5), loop_.now());
  }

  if (!config_.app.pidfile.empty() || !config_.app.exe.empty() || !config_.app.unit.empty()) {
    process_ = std::make_unique<AppProcessMonitor>(
        loop_, config_.app, [this](const ProcessEvent& e) { on_process(e); });
    if (auto s = process_->start(loop_); !s) return s;
  }
  if (!config_.app.unit.empty()) {
    // systemd names the MainPID (the pidfd then watches it) and reports how it died.
    unit_ = std::make_unique<UnitWatcher>(
        loop_, config_.app.unit,
        [this](const UnitState& s, const std::vector<UnitChange>& c) { on_unit(s, c); },
        [this](const UnitWatchEvent& e) {
          sink_.record(Event{EventKind::app_state_changed,
                             std::nullopt,
                             e.kind == UnitWatchEvent::Kind::connected ||
                                     e.kind == UnitWatchEvent::Kind::stop_accepted
                                 ? Severity::info
                                 : Severity::warning,
                             config_.app.unit + ": " + e.detail,
                             {}});
        });
    if (auto s = unit_->start(loop_); !s) return s;
  }
  if (config_.lease_enabled) {
    lease_ = std::make_unique<LeaseMonitor>(loop_, config_.lease,
                                            [this](const LeaseEvent& e) { on_lease(e); });
    if (auto s = lease_->start(loop_); !s) return s;
  }
  if (!config_.http_probe.url.empty()) {
    probe_ = std::make_unique<HttpProbe>(loop_, config_.http_probe,
                                         [this](const ProbeResult& r) { on_probe(r); });
    if (auto s = probe_->start(loop_); !s) return s;
  }
  // One tick a second: auto re-arm timing, crash-loop expiry, output health.
  if (auto s = loop_.start_periodic(tick_, "motion-tick", std::chrono::seconds(1),
                                    [this] {
                                      evaluate();
                                      report_outputs();
                                    });
      !s) {
    return s;
  }
  faults_.raise(Fault::motors_awaiting_rearm, policy_.last_reason());
  stop_path_->take_stamps();  // the start's own stop (prepare) is not timed
  sink_.record(Event{EventKind::motors_stopped,
                     std::nullopt,
                     Severity::info,
                     "motors held stopped at start until the app is healthy and re-armed",
                     {{"cause", "startup"}, {"frames", frames_description_}}});
  return ok_status();
}

void MotionService::evaluate(Detection detection) {
  const Decision decision = policy_.on_health(health(), loop_.now());
  execute(decision, detection);
  update_cause_faults();
}

void MotionService::execute(const Decision& decision, Detection detection) {
  switch (decision.action) {
    case Decision::Action::none:
      return;
    case Decision::Action::stop:
      stop_now(decision.cause, decision.reason, detection);
      return;
    case Decision::Action::arm:
      stop_path_->arm();
      faults_.clear(Fault::motors_awaiting_rearm, decision.reason);
      sink_.record(
          Event{EventKind::motors_armed, std::nullopt, Severity::info, decision.reason, {}});
      return;
  }
}

void MotionService::stop_now(StopCause cause, const std::string& reason, Detection detection) {
  stop_path_->stop();  // bytes and line first; everything below may allocate
  const StopStamps stamps = stop_path_->take_stamps();
  const Fault fault = fault_for(cause);
  if (fault != Fault::motors_awaiting_rearm) faults_.raise(fault, reason);
  faults_.raise(Fault::motors_awaiting_rearm, "stopped: " + reason);
  std::vector<EventField> fields{
      {"cause", std::string(stop_cause_name(cause))},
      {"category", std::to_string(config_.stop_category)},
      {"stop_frames_written", std::to_string(stop_path_->counters().stop_frames_written)}};
  add_stop_timing(fields, detection, stamps);
  sink_.record(Event{EventKind::motors_stopped, fault, Severity::critical,
                     "motors stopped: " + reason, fields});
}

void MotionService::update_cause_faults() {
  const AppHealth h = health();
  if (!h.process_watched || h.process_alive)
    faults_.clear(Fault::app_dead, "the app's process is running");
  if (!h.lease_watched || h.lease_alive)
    faults_.clear(Fault::app_hung, "the lease is renewed again");
  if (!h.probe_watched || h.probe_ok) faults_.clear(Fault::app_errors, "the health URL answers");
  if (h.crash_loop) {
    faults_.raise(Fault::app_crash_loop,
                  std::to_string(crash_loop_.deaths_in_window(loop_.now())) + " deaths within " +
                      std::to_string(config_.app.crash_loop_window.count()) + " s");
  } else {
    faults_.clear(Fault::app_crash_loop, "no more deaths in the window");
  }
}

void MotionService::report_outputs() {
  if (!output_check_) return;
  const bool serial_ok = !stop_path_->has_serial() || stop_path_->serial_up();
  const bool enable_ok = !faults_.active(Fault::motor_enable_unavailable);
  gate_.report(
      *output_check_, serial_ok && enable_ok, loop_.now(),
      serial_ok ? (enable_ok ? "" : "motor_enable line unavailable") : "motor serial down");
}

RearmResult MotionService::rearm(const std::string& who, std::string_view blocked_by) {
  RearmResult result = policy_.on_rearm(health(), loop_.now(), blocked_by);
  if (!result.accepted) {
    sink_.record(Event{EventKind::rearm_refused,
                       std::nullopt,
                       Severity::warning,
                       "re-arm by " + who + " " + result.reason,
                       {{"by", who}}});
    return result;
  }
  if (result.reason != "already armed") {
    stop_path_->arm();
    faults_.clear(Fault::estop_active, "re-armed by " + who);
    faults_.clear(Fault::motors_awaiting_rearm, "re-armed by " + who);
    sink_.record(Event{EventKind::motors_armed,
                       std::nullopt,
                       Severity::warning,
                       "motors re-armed by " + who,
                       {{"by", who}}});
  }
  return result;
}

std::optional<pid_t> MotionService::app_pid() const {
  return process_ ? process_->pid() : std::nullopt;
}

void MotionService::estop(const std::string& who) {
  const Decision decision = policy_.on_estop(loop_.now());
  stop_now(decision.cause, "emergency stop by " + who);
}

void MotionService::enter_safe_state() noexcept {
  if (stop_path_) stop_path_->stop();
}

void MotionService::after_safe_state(std::string_view reason) {
  if (!stop_path_) return;
  const Decision decision = policy_.on_safe_state(reason, loop_.now());
  stop_now(decision.cause, decision.reason);
}

nlohmann::json MotionService::status() const {
  const AppHealth h = health();
  const auto& c = stop_path_->counters();
  nlohmann::json app = {{"process_watched", h.process_watched}, {"process_alive", h.process_alive},
                        {"lease_watched", h.lease_watched},     {"lease_alive", h.lease_alive},
                        {"probe_watched", h.probe_watched},     {"probe_ok", h.probe_ok},
                        {"crash_loop", h.crash_loop},           {"deaths_total", app_deaths_}};
  if (process_ && process_->pid()) app["pid"] = *process_->pid();
  if (unit_) {
    const auto& s = unit_->state();
    app["unit"] = {{"name", config_.app.unit},
                   {"connected", unit_->connected()},
                   {"active_state", s.active_state},
                   {"sub_state", s.sub_state},
                   {"result", s.result},
                   {"n_restarts", s.n_restarts}};
  }
  return {{"state", policy_.state() == MotionState::armed ? "armed" : "stopped"},
          {"cause", std::string(stop_cause_name(policy_.last_cause()))},
          {"reason", policy_.last_reason()},
          {"frames", frames_description_},
          {"enable_active", stop_path_->enable_active()},
          {"serial_up", stop_path_->serial_up()},
          {"stops", c.stops},
          {"stop_frames_written", c.stop_frames_written},
          {"write_errors", c.write_errors},
          {"reconnects", c.reconnects},
          {"app", app}};
}

}  // namespace lifeline::motion
