#include "board/board_hal.hpp"

#include <cerrno>

#include "hal/linux/gpiod_output_line.hpp"
#include "hal/linux/linux_watchdog.hpp"
#include "hal/linux/serialport_link.hpp"
#include "hal/sim/sim_output_line.hpp"
#include "hal/sim/sim_serial_link.hpp"
#include "hal/sim/sim_watchdog.hpp"
#include "util/files.hpp"

namespace lifeline {

BoardHal::BoardHal(Board board, std::string sim_dir, const hal::Clock& clock)
    : board_(std::move(board)), sim_dir_(std::move(sim_dir)), clock_(clock) {}

std::unique_ptr<hal::WatchdogDevice> BoardHal::make_watchdog(
    const std::string& device_override) const {
  if (simulated()) {
    return std::make_unique<hal::SimWatchdog>(sim_dir_, clock_, board_.watchdog.max_timeout);
  }
  return std::make_unique<hal::LinuxWatchdog>(device_override.empty() ? board_.watchdog.device
                                                                      : device_override);
}

const std::optional<LineRole>* BoardHal::find_line(const std::string& role) const {
  if (role == "status_led") return &board_.status_led;
  if (role == "status_led_secondary") return &board_.status_led_secondary;
  if (role == "buzzer") return &board_.buzzer;
  if (role == "motor_enable") return &board_.motor_enable;
  return nullptr;
}

Expected<std::unique_ptr<hal::OutputLine>> BoardHal::make_output(const std::string& role,
                                                                 bool initial) const {
  const auto* line = find_line(role);
  if (line == nullptr || !line->has_value()) {
    return Error{ENODEV, "board '" + board_.name + "' has no " + role + " line"};
  }
  if (simulated()) {
    auto sim = hal::SimOutputLine::open(sim_dir_, role, clock_, initial);
    if (!sim) return sim.error();
    return std::unique_ptr<hal::OutputLine>(std::move(*sim));
  }
  auto real = hal::GpiodOutputLine::request(role, **line, initial);
  if (!real) return real.error();
  return std::unique_ptr<hal::OutputLine>(std::move(*real));
}

Expected<std::unique_ptr<hal::SerialLink>> BoardHal::make_motor_serial(
    const std::string& device_override) const {
  if (!board_.motor_serial && device_override.empty()) {
    return Error{ENODEV, "board '" + board_.name + "' has no motor_serial port"};
  }
  SerialRole role = board_.motor_serial.value_or(SerialRole{});
  if (!device_override.empty()) role.device = device_override;
  if (simulated()) return std::unique_ptr<hal::SerialLink>(new hal::SimSerialLink(role.device));
  return std::unique_ptr<hal::SerialLink>(new hal::SerialPortLink(role));
}

std::string BoardHal::boot_id() const {
  const std::string host = read_boot_id();
  return simulated() ? hal::sim_boot_id(sim_dir_, host, clock_) : host;
}

}  // namespace lifeline
