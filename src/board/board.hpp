// A board names its hardware by role. Boards are data (board/*.toml); the code never
// asks which board it runs on, only which role is wired where.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace lifeline {

enum class HalKind : std::uint8_t { linux_hal, sim };  // board key `hal = "linux" | "sim"`
enum class LineBias : std::uint8_t { as_is, disabled, pull_up, pull_down };

struct LineRole {
  std::string chip;  // gpiochip name, label, number or /dev path (gpiod_chip_open_lookup)
  std::uint32_t offset = 0;
  bool active_low = false;
  LineBias bias = LineBias::as_is;
};

struct SerialRole {
  std::string device;  // e.g. /dev/ttyAMA0, /dev/serial0
  std::uint32_t baud = 9600;
};

struct WatchdogRole {
  std::string device = "/dev/watchdog0";
  std::chrono::seconds max_timeout{15};  // the driver's hardware limit
};

struct Board {
  std::string name;         // file stem, e.g. "pi4"
  std::string description;  // one line for logs and the page
  HalKind hal = HalKind::linux_hal;
  WatchdogRole watchdog;
  std::optional<LineRole> status_led;
  std::optional<LineRole> status_led_secondary;  // e.g. the green of a red/green pair
  std::optional<LineRole> buzzer;
  std::optional<LineRole> motor_enable;
  std::optional<SerialRole> motor_serial;
};

}  // namespace lifeline
