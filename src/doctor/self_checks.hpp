// lifeline's check of itself: its configuration, its board and the devices the board names
// for the roles the configuration uses (watchdog, status LED, buzzer, motor enable line,
// motor serial port, the state directory). A robot whose lifeline cannot open its watchdog
// or its motor port is not protected, however healthy the rest looks. Facts are gathered
// by self_facts.hpp; this check is pure. Ids: docs/doctor.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "doctor/finding.hpp"

namespace lifeline::doctor {

enum class DeviceState : std::uint8_t {
  ok,
  missing,       // no such device, chip or line
  inaccessible,  // there, but this user may not open it (EACCES, EPERM)
  busy,          // held by another process or GPIO consumer
};

struct DeviceFact {
  std::string role;    // "watchdog", "motor_serial", "motor_enable", "status_led", "state_dir"
  std::string target;  // "/dev/watchdog0", "pinctrl-bcm2711 line 22", "/var/lib/lifeline"
  DeviceState state = DeviceState::ok;
  std::string detail;  // why: "No such file or directory", "held by PID 612 (agetty)"
};

struct SelfFacts {
  std::string config_path;
  bool config_found = false;
  std::string config_error;  // the loader's message; "" when the configuration is valid
  std::vector<std::string> config_warnings;
  std::string app_unit;  // [motion.app] unit: the app doctor checks when none is named
  std::string board;     // "pi4 (Raspberry Pi 4 Model B)"; "" when the config did not load
  bool sim_board = false;
  bool devices_checked = false;  // live runs only: a --root tree has no devices
  std::vector<DeviceFact> devices;
  // The kernel console= naming the motor serial port ("ttyS0"), "" when none does.
  std::string serial_console;
  // The state directory's file system when it does not survive a reboot ("tmpfs"), else "".
  std::string state_dir_volatile_fs;
  std::string state_dir;
};

// lifeline.config-missing / lifeline.config-invalid (critical), lifeline.config-warning
// (info), lifeline.sim-board (warning), lifeline.device-missing /
// lifeline.device-inaccessible / lifeline.device-busy / lifeline.serial-console (critical),
// lifeline.state-dir-volatile (warning), lifeline.ok.
[[nodiscard]] std::vector<Finding> check_lifeline(const SelfFacts& facts);

// The console= devices of a kernel command line ("console=ttyS0,115200 console=tty1" ->
// "ttyS0", "tty1"), in order.
[[nodiscard]] std::vector<std::string> kernel_consoles(std::string_view cmdline);

}  // namespace lifeline::doctor
