// The motor dead-man capability: the monitors (process, lease, HTTP probe) feed one
// AppHealth; the pure DeadManPolicy decides; the StopPath acts, then faults and records
// follow. Registered with the agent's safe state so a closing health gate or a lockout
// stops the motors first.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "agent/event_loop.hpp"
#include "agent/safe_state.hpp"
#include "board/board_hal.hpp"
#include "config/config.hpp"
#include "fault/fault_set.hpp"
#include "motion/app_process.hpp"
#include "motion/dead_man.hpp"
#include "motion/http_probe.hpp"
#include "motion/lease_monitor.hpp"
#include "motion/stop_path.hpp"
#include "motion/unit_watcher.hpp"
#include "watchdog/health_gate.hpp"

namespace lifeline::motion {

// When a detector learned of what led to a stop (CLOCK_REALTIME µs; 0: not known, e.g. an
// e-stop or a safe state, whose stop stamps still say when the outputs moved).
struct Detection {
  std::int64_t detected_us = 0;  // the detector's callback began
  std::int64_t woke_us = 0;      // the loop's wait returned in that iteration
};

class MotionService final : public SafeStateParticipant {
 public:
  MotionService(EventLoop& loop, FaultSet& faults, EventSink& sink, HealthGate& gate,
                const MotionConfig& config);
  ~MotionService() override;
  // Builds the frames, opens the outputs, starts the monitors; registers the stop path
  // as a safe-state participant. The motors start stopped.
  Status start(const BoardHal& board, SafeState& safe_state);

  RearmResult rearm(const std::string& who, std::string_view blocked_by);
  void estop(const std::string& who);
  // Safe state (gate closed, lockout): the stop path first, the policy's latch after.
  [[nodiscard]] std::string_view name() const override { return "motion"; }
  void enter_safe_state() noexcept override;
  void after_safe_state(std::string_view reason) override;
  [[nodiscard]] nlohmann::json status() const;
  [[nodiscard]] MotionState state() const { return policy_.state(); }
  // The control app's main PID while one is watched (the memory guard stops the motors
  // before it kills that process).
  [[nodiscard]] std::optional<pid_t> app_pid() const;

 private:
  void on_process(const ProcessEvent& event);
  void on_lease(const LeaseEvent& event);
  void on_probe(const ProbeResult& result);
  void on_unit(const UnitState& state, const std::vector<UnitChange>& changes);
  void evaluate(Detection detection = {});
  void execute(const Decision& decision, Detection detection);
  void stop_now(StopCause cause, const std::string& reason, Detection detection = {});
  void update_cause_faults();
  void report_outputs();
  [[nodiscard]] AppHealth health() const;

  EventLoop& loop_;
  FaultSet& faults_;
  EventSink& sink_;
  HealthGate& gate_;
  MotionConfig config_;
  DeadManPolicy policy_;
  CrashLoopDetector crash_loop_;
  std::unique_ptr<StopPath> stop_path_;
  std::unique_ptr<AppProcessMonitor> process_;
  std::unique_ptr<UnitWatcher> unit_;
  std::unique_ptr<LeaseMonitor> lease_;
  std::unique_ptr<HttpProbe> probe_;
  bool probe_ok_ = false;
  std::string frames_description_;
  std::optional<CheckId> output_check_;
  PeriodicTimer tick_;
  std::uint64_t app_deaths_ = 0;
};

}  // namespace lifeline::motion
