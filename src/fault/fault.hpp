// The one fault table. LEDs, logs, the black box, the rescue page, metrics and docs all
// read it; nothing else defines a fault's number, name, severity or blink code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lifeline {

enum class Severity : std::uint8_t { info = 0, warning = 1, error = 2, critical = 3 };

std::string_view severity_name(Severity severity);
std::optional<Severity> parse_severity(std::string_view name);

// Read by a person: `long_blinks` long flashes, then `short_blinks` short ones, a pause,
// repeat. Long blinks give the capability, short ones the fault within it.
struct BlinkCode {
  std::uint8_t long_blinks = 0;
  std::uint8_t short_blinks = 0;
};

enum class Fault : std::uint16_t {
  watchdog_unavailable = 101,
  watchdog_did_not_fire = 102,
  health_check_failing = 111,
  health_gate_closed = 112,
  boot_loop_lockout = 121,
  unclean_reset = 122,
  config_rejected = 131,
  blackbox_degraded = 141,
  control_socket_unavailable = 151,
  signal_output_unavailable = 152,
  app_dead = 401,
  app_hung = 402,
  app_errors = 403,
  app_crash_loop = 404,
  estop_active = 405,
  motor_serial_down = 406,
  motor_enable_unavailable = 407,
  motors_awaiting_rearm = 408,
  memory_low = 201,  // the memory guard and the way in (SSH): blink family 6
  memory_relief = 202,
  memory_leak = 203,
  kernel_oom_kill = 204,
  ssh_unreachable = 205,
  rescue_page_unavailable = 501,
  service_conflict = 701,  // service exclusivity: blink family 7
};

struct FaultInfo {
  Fault fault;
  std::string_view name;  // stable, snake_case: journal field, metrics label, JSON
  Severity severity;
  BlinkCode blink;
  std::string_view meaning;  // one line for a person
  std::string_view action;   // what that person should do
};

inline constexpr std::array kFaultTable = {
    FaultInfo{
        Fault::watchdog_unavailable,
        "watchdog_unavailable",
        Severity::critical,
        {1, 1},
        "The hardware watchdog cannot be opened or driven; a hung box will not reset.",
        "Read the fault's detail (it names the device and any holder); fix the driver or path."},
    FaultInfo{Fault::watchdog_did_not_fire,
              "watchdog_did_not_fire",
              Severity::critical,
              {1, 2},
              "Petting stopped longer than the timeout ago, yet the board did not reset.",
              "The watchdog hardware or driver is not working: do not trust it; check the board."},
    FaultInfo{Fault::health_check_failing,
              "health_check_failing",
              Severity::error,
              {1, 3},
              "A health check is failing or has not reported within its deadline.",
              "See `lifeline status` for the check; if it stays failing the gate closes."},
    FaultInfo{Fault::health_gate_closed,
              "health_gate_closed",
              Severity::critical,
              {1, 4},
              "The health gate closed: safe state entered, watchdog no longer petted.",
              "The board resets within the watchdog timeout; read `lifeline events` after."},
    FaultInfo{Fault::boot_loop_lockout,
              "boot_loop_lockout",
              Severity::critical,
              {2, 1},
              "Too many watchdog or unclean resets in the window: held in safe state.",
              "Find the cause in `lifeline events`, then `lifeline rearm --clear-lockout`."},
    FaultInfo{Fault::unclean_reset,
              "unclean_reset",
              Severity::warning,
              {2, 2},
              "The last boot ended without a clean lifeline shutdown (watchdog, power, crash).",
              "Read `lifeline events --boot -1` to see what happened before the reset."},
    FaultInfo{Fault::config_rejected,
              "config_rejected",
              Severity::warning,
              {3, 1},
              "A new configuration was rejected; the previous one is still running.",
              "Run `lifeline check-config FILE`, fix the reported line, send SIGHUP again."},
    FaultInfo{Fault::blackbox_degraded,
              "blackbox_degraded",
              Severity::error,
              {3, 2},
              "The black box cannot write records; incidents are not being kept.",
              "Check free space and permissions of the state directory."},
    FaultInfo{Fault::control_socket_unavailable,
              "control_socket_unavailable",
              Severity::warning,
              {3, 3},
              "The control socket could not be opened; CLI commands cannot reach lifeline.",
              "Check the control_socket path and that its directory exists."},
    FaultInfo{Fault::signal_output_unavailable,
              "signal_output_unavailable",
              Severity::warning,
              {3, 4},
              "A status LED or the buzzer cannot be driven; lifeline goes on without it.",
              "Check the board file's chip/line and whether another program holds the line."},
    FaultInfo{Fault::app_dead,
              "app_dead",
              Severity::critical,
              {4, 1},
              "The control app's process died or its unit failed: motors stopped.",
              "Read `lifeline events` for how it died; fix it, then `lifeline rearm`."},
    FaultInfo{Fault::app_hung,
              "app_hung",
              Severity::critical,
              {4, 2},
              "The control app stopped renewing its heartbeat lease (hung): motors stopped.",
              "Find why the app stalls (CPU, memory, a blocking call), then `lifeline rearm`."},
    FaultInfo{Fault::app_errors,
              "app_errors",
              Severity::error,
              {4, 3},
              "The control app's health URL answers errors or not at all: motors stopped.",
              "Open the app's health URL; fix what it reports, then `lifeline rearm`."},
    FaultInfo{Fault::app_crash_loop,
              "app_crash_loop",
              Severity::critical,
              {4, 4},
              "The control app keeps dying and restarting: motors held stopped.",
              "Read each death's cause in `lifeline events`; do not just restart it."},
    FaultInfo{Fault::estop_active,
              "estop_active",
              Severity::critical,
              {4, 5},
              "An emergency stop was requested: motors held stopped.",
              "Make the robot safe, then `lifeline rearm` to allow motion again."},
    FaultInfo{Fault::motor_serial_down,
              "motor_serial_down",
              Severity::error,
              {5, 1},
              "The motor controller's serial port cannot be written: stop frames do not arrive.",
              "Check the USB/UART adapter and cable; lifeline reconnects on its own."},
    FaultInfo{Fault::motor_enable_unavailable,
              "motor_enable_unavailable",
              Severity::critical,
              {5, 2},
              "The motor_enable GPIO line cannot be driven: the hardware stop is not available.",
              "Check the board file's chip/line and whether another program holds the line."},
    FaultInfo{Fault::motors_awaiting_rearm,
              "motors_awaiting_rearm",
              Severity::warning,
              {5, 3},
              "Motors are stopped and stay stopped until an operator re-arms them.",
              "When the robot is safe to move: `lifeline rearm`."},
    FaultInfo{Fault::memory_low,
              "memory_low",
              Severity::warning,
              {6, 1},
              "Available memory is below the warn level; a top-RSS snapshot was recorded.",
              "See the snapshot in `lifeline events`; find what grows before it is killed."},
    FaultInfo{Fault::memory_relief,
              "memory_relief",
              Severity::error,
              {6, 2},
              "Memory is below the relieve level: lifeline is restarting units or killing a "
              "process to keep the box reachable.",
              "Read which process was chosen and why in `lifeline events`; fix its memory use."},
    FaultInfo{Fault::memory_leak,
              "memory_leak",
              Severity::warning,
              {6, 3},
              "Memory use has grown steadily; the detail gives the rate and the time left.",
              "Restart or fix the growing unit before the time runs out (`lifeline status`)."},
    FaultInfo{Fault::kernel_oom_kill,
              "kernel_oom_kill",
              Severity::error,
              {6, 4},
              "The kernel's OOM killer killed a process (shown for 10 minutes after the kill).",
              "See the victim in `lifeline events`; lower the memory guard's levels or add swap."},
    FaultInfo{Fault::ssh_unreachable,
              "ssh_unreachable",
              Severity::error,
              {6, 5},
              "sshd does not send its banner: the owner's way in is down.",
              "Use the rescue page or the console; lifeline restarts the ssh unit on its own."},
    FaultInfo{Fault::rescue_page_unavailable,
              "rescue_page_unavailable",
              Severity::warning,
              {3, 5},
              "The rescue web page could not start; the robot cannot be helped over the network.",
              "Read the fault's detail (address in use, certificate); fix [rescue] and restart."},
    FaultInfo{Fault::service_conflict,
              "service_conflict",
              Severity::error,
              {7, 1},
              "Another unit or a stray process holds a role's port or runs its program.",
              "Run the fix command in the service_conflict record (`lifeline events`): stop and "
              "mask the duplicate."},
};

const FaultInfo& fault_info(Fault fault);
std::optional<Fault> fault_from_code(std::uint16_t code);
std::optional<Fault> fault_from_name(std::string_view name);
inline std::uint16_t fault_code(Fault fault) {
  return static_cast<std::uint16_t>(fault);
}

}  // namespace lifeline
