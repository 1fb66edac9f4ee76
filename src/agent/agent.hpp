// The Agent owns the loop and everything on it (like oomd's Manager): it builds the
// capabilities from the config and board, runs the start-up sequence, and handles the
// process signals (SIGTERM/SIGINT clean stop, SIGHUP reload) and the control socket.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/background_doctor.hpp"
#include "agent/control_socket.hpp"
#include "agent/event_loop.hpp"
#include "agent/recorder.hpp"
#include "agent/safe_state.hpp"
#include "agent/unit_jobs.hpp"
#include "blackbox/async_writer.hpp"
#include "board/board_hal.hpp"
#include "config/config.hpp"
#include "exclusivity/exclusivity_service.hpp"
#include "fault/fault_set.hpp"
#include "health/file_check.hpp"
#include "health/loop_liveness.hpp"
#include "memory/memory_service.hpp"
#include "motion/motion_service.hpp"
#include "rescue/rescue_service.hpp"
#include "signals/signal_service.hpp"
#include "watchdog/health_gate.hpp"
#include "watchdog/reset_history.hpp"
#include "watchdog/watchdog_service.hpp"

namespace lifeline {

struct RunOptions {
  std::string config_path;
  bool console = false;  // also print every event as a plain line on stdout
};

// [signals] as the signal service takes it (at start and on reload).
signals::SignalSettings signal_settings(const SignalsConfig& config);

class Agent {
 public:
  explicit Agent(RunOptions options) : options_(std::move(options)) {}
  ~Agent();
  // Loads the config and runs until a clean stop; returns the process exit code.
  int run();

 private:
  Status start(Config config);
  void start_blackbox();
  void start_signals();
  void assess_start(std::uint32_t boot_status);
  void start_health_checks();
  void start_control_socket();
  void start_memory();
  void start_exclusivity();
  void reload_exclusivity();
  nlohmann::json exclusivity_released(const nlohmann::json& request, const std::string& who);
  void before_memory_kill(const memory::ProcessInfo& victim);
  void after_memory_kill(const memory::ProcessInfo& victim, std::string_view reason);
  nlohmann::json request_unit_job(const std::string& command, const std::string& who);
  void start_rescue();
  void start_doctor();
  void record_doctor(const DoctorResult& result);
  void on_stop_signal();
  void on_reload_signal();
  void apply_reload(Config next);
  void check_blackbox();
  void clear_lockout(const std::string& who);
  [[nodiscard]] std::string motion_blocked_by() const;
  void update_systemd_status();
  nlohmann::json handle_control(const nlohmann::json& request);
  [[nodiscard]] nlohmann::json status_json() const;
  [[nodiscard]] std::string state_name() const;
  [[nodiscard]] std::int64_t wall_seconds() const;

  RunOptions options_;
  hal::SystemClock clock_;
  Config config_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<BoardHal> board_hal_;
  std::unique_ptr<blackbox::AsyncWriter> blackbox_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<FaultSet> faults_;
  std::unique_ptr<SafeState> safe_state_;
  HealthGate gate_;
  std::unique_ptr<WatchdogService> watchdog_;
  std::unique_ptr<motion::MotionService> motion_;
  std::unique_ptr<UnitJobs> unit_jobs_;
  std::unique_ptr<memory::MemoryService> memory_;
  std::unique_ptr<exclusivity::ExclusivityService> exclusivity_;
  std::unique_ptr<signals::SignalService> signals_;
  std::unique_ptr<LoopLiveness> liveness_;
  std::vector<std::unique_ptr<FileCheck>> file_checks_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<rescue::RescueService> rescue_;
  std::unique_ptr<BackgroundDoctor> doctor_;
  nlohmann::json doctor_status_ = {{"state", "not run"}};
  ResetHistory history_;
  std::string boot_id_;
  std::vector<EventSource> signal_sources_;
  PeriodicTimer blackbox_timer_;
  std::string blackbox_error_;
  std::uint64_t blackbox_written_at_error_ = 0;
  bool stopping_ = false;
  // The memory guard stopped the motors before killing the control app; the record of it
  // follows the signal.
  bool motors_stopped_for_kill_ = false;
  int lock_fd_ = -1;
};

}  // namespace lifeline
