#include "doctor/self_checks.hpp"

#include <algorithm>

namespace lifeline::doctor {
namespace {

bool is_line(const DeviceFact& device) {
  return device.role == "status_led" || device.role == "status_led_secondary" ||
         device.role == "buzzer" || device.role == "motor_enable";
}

// What each role's failure costs the robot.
std::string consequence(const DeviceFact& device) {
  if (device.role == "watchdog")
    return "lifeline cannot pet the hardware watchdog: a wedged robot is never reset.";
  if (device.role == "motor_serial")
    return "lifeline cannot send the stop frame: a dead or hung app leaves the motors running "
           "on their last command.";
  if (device.role == "motor_enable")
    return "lifeline cannot drop the motor enable line: the hardware stop path is gone.";
  if (device.role == "state_dir")
    return "the black box and the reset history cannot be written: the next incident leaves no "
           "record.";
  return "faults cannot be shown: nobody at the robot sees what is wrong.";
}

std::string fix_for(const DeviceFact& device) {
  switch (device.state) {
    case DeviceState::missing:
      if (device.role == "state_dir") return "mkdir -p " + device.target;
      if (device.role == "watchdog")
        return "ls -l /dev/watchdog*   # then set [watchdog] device in the board file, or load "
               "the driver (bcm2835_wdt on a Raspberry Pi)";
      if (device.role == "motor_serial")
        return "ls -l /dev/serial* /dev/tty{S,AMA,USB,ACM}*   # then set [motion] "
               "serial_device; on a Raspberry Pi enable_uart=1 in /boot/firmware/config.txt";
      return "gpiodetect && gpioinfo   # then fix the role's chip and line in the board file";
    case DeviceState::inaccessible:
      return "ls -l " + device.target +
             "   # lifeline runs as root from lifeline.service; run doctor as root too";
    case DeviceState::busy:
      if (is_line(device)) return "gpioinfo   # find the consumer holding the line and stop it";
      return "fuser -v " + device.target + "   # then stop (and disable) what holds it";
    case DeviceState::ok:
      break;
  }
  return "";
}

Finding device_finding(const DeviceFact& device) {
  static constexpr const char* kIds[] = {"lifeline.device-ok", "lifeline.device-missing",
                                         "lifeline.device-inaccessible", "lifeline.device-busy"};
  static constexpr const char* kWhat[] = {"is in order", "is missing", "cannot be opened",
                                          "is held by someone else"};
  const auto index = static_cast<std::size_t>(device.state);
  return {kIds[index],
          device.role + " (" + device.target + ") " + kWhat[index],
          device.role + ": " + device.target + (device.detail.empty() ? "" : ": " + device.detail),
          consequence(device),
          "",
          fix_for(device),
          FindingSeverity::critical};
}

}  // namespace

std::vector<std::string> kernel_consoles(std::string_view cmdline) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < cmdline.size()) {
    const std::size_t end = std::min(cmdline.find_first_of(" \t\n", at), cmdline.size());
    const std::string_view word = cmdline.substr(at, end - at);
    if (word == "--") break;  // what follows is init's, not the kernel's
    constexpr std::string_view kKey = "console=";
    if (word.substr(0, kKey.size()) == kKey) {
      const std::string_view value = word.substr(kKey.size());
      const std::string_view name = value.substr(0, value.find(','));
      if (!name.empty()) out.emplace_back(name);
    }
    at = end + 1;
  }
  return out;
}

std::vector<Finding> check_lifeline(const SelfFacts& facts) {
  if (!facts.config_found) {
    return {{"lifeline.config-missing", "lifeline's configuration file is missing",
             facts.config_path + " does not exist",
             "lifeline refuses to start without it: no watchdog, no motor stop, no rescue page.",
             "",
             "apt install --reinstall -o Dpkg::Options::=--force-confmiss lifeline   # restores "
             "the default",
             FindingSeverity::critical}};
  }
  if (!facts.config_error.empty()) {
    return {{"lifeline.config-invalid", "lifeline's configuration is rejected",
             facts.config_path + ": " + facts.config_error,
             "lifeline refuses a configuration with errors and does not start (or keeps the last "
             "good one on a reload): nothing you changed is in effect.",
             "", "lifeline check-config " + facts.config_path + "   # fix what it names",
             FindingSeverity::critical}};
  }
  std::vector<Finding> findings;
  for (const std::string& warning : facts.config_warnings) {
    findings.push_back({"lifeline.config-warning", "lifeline's configuration has a warning",
                        warning, "", "", "", FindingSeverity::info});
  }
  if (facts.sim_board) {
    findings.push_back(
        {"lifeline.sim-board", "lifeline drives a simulated board", "board " + facts.board,
         "With hal = \"sim\" no hardware is touched: the watchdog never resets the robot and the "
         "motors are never stopped. Right for a demo or a test, wrong on a robot.",
         "", "set [agent] board to the robot's board file (docs/boards.md)",
         FindingSeverity::warning});
  }
  for (const DeviceFact& device : facts.devices) {
    if (device.state != DeviceState::ok) findings.push_back(device_finding(device));
  }
  if (!facts.serial_console.empty()) {
    findings.push_back(
        {"lifeline.serial-console", "the kernel console is on the motor serial port",
         "console=" + facts.serial_console + " on the kernel command line",
         "Boot messages and kernel warnings are written to the motor controller as if they were "
         "commands, and a login prompt may follow.",
         "", "remove console=serial0,115200 from /boot/firmware/cmdline.txt, then reboot",
         FindingSeverity::critical});
  }
  if (!facts.state_dir_volatile_fs.empty()) {
    findings.push_back(
        {"lifeline.state-dir-volatile", "the black box is on a file system lost at reboot",
         facts.state_dir + " is on " + facts.state_dir_volatile_fs,
         "The black box and the reset history must survive the reset that ends an incident; in "
         "RAM they are gone with it, and the boot-loop lockout never trips.",
         "", "set [agent] state_dir to a directory on the SD card or disk (/var/lib/lifeline)",
         FindingSeverity::warning});
  }
  bool problem = false;
  for (const Finding& f : findings) problem = problem || f.severity > FindingSeverity::info;
  if (!problem) {
    std::string seen = facts.config_path + ", board " + facts.board;
    if (facts.devices_checked) {
      seen += ", " + std::to_string(facts.devices.size()) + " devices:";
      for (const DeviceFact& d : facts.devices) seen += " " + d.role + "=" + d.target;
    } else if (!facts.sim_board) {
      seen += " (devices not checked: offline run)";
    }
    findings.push_back(
        ok_finding("lifeline.ok", "lifeline's configuration and board are in order", seen));
  }
  return findings;
}

}  // namespace lifeline::doctor
