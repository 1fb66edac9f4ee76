// The watchdog capability: opens and configures the board's watchdog, pets it from the
// named "watchdog-pet" timer only while the health gate is open, and when the gate
// closes runs the safe state, records why and stops petting so the board resets.
#pragma once

#include <memory>
#include <optional>

#include "agent/event_loop.hpp"
#include "agent/safe_state.hpp"
#include "config/config.hpp"
#include "fault/fault_set.hpp"
#include "lifeline/hal/watchdog_device.hpp"
#include "watchdog/health_gate.hpp"

namespace lifeline {

struct WatchdogStatus {
  bool enabled = false;
  bool open = false;
  std::string device;
  std::string identity;
  std::chrono::seconds timeout_requested{0};
  std::chrono::seconds timeout{0};
  std::chrono::milliseconds pet_interval{0};
  std::uint32_t boot_status = 0;
  std::optional<bool> nowayout;
  std::uint64_t pets = 0;
  std::optional<hal::MonoTime> last_pet;
  bool gate_closed = false;
  std::string gate_reason;
};

class WatchdogService {
 public:
  WatchdogService(EventLoop& loop, FaultSet& faults, EventSink& sink, SafeState& safe_state,
                  HealthGate& gate, std::unique_ptr<hal::WatchdogDevice> device);
  ~WatchdogService();

  // Opens and configures the device (errors become faults, never exceptions); returns
  // the boot status flags, 0 when the device could not be read.
  std::uint32_t open(const WatchdogConfig& config, std::chrono::seconds board_max);
  // Pets once now and then every pet interval while the gate is open.
  Status start();
  // Config reload: a new timeout or interval takes effect at once.
  void apply(const WatchdogConfig& config, std::chrono::seconds board_max);
  // Clean, intended stop: disarm with the magic character if configured and the gate is
  // open. With the gate closed the reset that was decided still happens.
  void stop_clean();
  [[nodiscard]] WatchdogStatus status() const;

 private:
  void configure_timeout(std::chrono::seconds board_max);
  void on_pet_tick();
  void on_gate_failure();
  void close_gate(const GateVerdict& verdict);
  void check_failing_fault(hal::MonoTime now);

  EventLoop& loop_;
  FaultSet& faults_;
  EventSink& sink_;
  SafeState& safe_state_;
  HealthGate& gate_;
  std::unique_ptr<hal::WatchdogDevice> device_;
  WatchdogConfig config_;
  WatchdogStatus status_;
  PetLatch latch_;
  PeriodicTimer pet_timer_;
  EventSource did_not_fire_;
};

}  // namespace lifeline
