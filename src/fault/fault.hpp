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
    FaultInfo{Fault::watchdog_unavailable, "watchdog_unavailable", Severity::critical, {1, 1},
              "The hardware watchdog cannot be opened or driven; a hung box will not reset.",
              "Read the fault's detail (it names the device and any holder); fix the driver or path."},
    FaultInfo{Fault::watchdog_did_not_fire, "watchdog_did_not_fire", Severity::critical, {1, 2},
              "Petting stopped longer than the timeout ago, yet the board did not reset.",
              "The watchdog hardware or driver is not working: do not trust it; check the board."},
    FaultInfo{Fault::health_check_failing, "health_check_failing", Severity::error, {1, 3},
              "A health check is failing or has not reported within its deadline.",
              "See `lifeline status` for the check; if it stays failing the gate closes."},
    FaultInfo{Fault::health_gate_closed, "health_gate_closed", Severity::critical, {1, 4},
              "The health gate closed: safe state entered, watchdog no longer petted.",
              "The board resets within the watchdog timeout; read `lifeline events` after."},
    FaultInfo{Fault::boot_loop_lockout, "boot_loop_lockout", Severity::critical, {2, 1},
              "Too many watchdog or unclean resets in the window: held in safe state.",
              "Find the cause in `lifeline events`, then `lifeline rearm --clear-lockout`."},
    FaultInfo{Fault::unclean_reset, "unclean_reset", Severity::warning, {2, 2},
              "The last boot ended without a clean lifeline shutdown (watchdog, power, crash).",
              "Read `lifeline events --boot -1` to see what happened before the reset."},
    FaultInfo{Fault::config_rejected, "config_rejected", Severity::warning, {3, 1},
              "A new configuration was rejected; the previous one is still running.",
              "Run `lifeline check-config FILE`, fix the reported line, send SIGHUP again."},
    FaultInfo{Fault::blackbox_degraded, "blackbox_degraded", Severity::error, {3, 2},
              "The black box cannot write records; incidents are not being kept.",
              "Check free space and permissions of the state directory."},
    FaultInfo{Fault::control_socket_unavailable, "control_socket_unavailable", Severity::warning,
              {3, 3}, "The control socket could not be opened; CLI commands cannot reach lifeline.",
              "Check the control_socket path and that its directory exists."},
};

const FaultInfo& fault_info(Fault fault);
std::optional<Fault> fault_from_code(std::uint16_t code);
std::optional<Fault> fault_from_name(std::string_view name);
inline std::uint16_t fault_code(Fault fault) { return static_cast<std::uint16_t>(fault); }

}  // namespace lifeline
