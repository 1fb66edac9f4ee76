// ODrive ASCII protocol, firmware 0.5.x (ODrive v3.x boards: two axes).
//
// Sources (odriverobotics/ODrive at tag fw-v0.5.6):
//   [OD-ASCII] docs/ascii-protocol.rst:
//     - Command Format: one command per line, interpreted at the new-line character; the
//       "*NN" checksum is optional.
//     - Motor Velocity: v, motor (0 or 1), velocity [turns/s], torque_ff [Nm, optional];
//       it also feeds that motor's watchdog.
//     - Update Motor Watchdog: u, motor; feeds the watchdog, setpoints unchanged.
//     - Parameter Reading/Writing: w, property path as odrivetool names it, value.
//   [OD-START] docs/getting-started.rst, Watchdog Timer: axis.config.watchdog_timeout in
//     seconds, axis.config.enable_watchdog = True to turn it on.
//   [OD-IF] Firmware/odrive-interface.yaml: watchdog_timeout is float32 [s],
//     enable_watchdog is bool; AxisState UNDEFINED = 0, IDLE = 1 (motor PWM off).
//   [OD-FW] Firmware source at the same tag, for what the documents leave open:
//     communication/ascii_protocol.cpp: "v" also switches control_mode to velocity control;
//     fibre-cpp/protocol.hpp: "w" parses a bool with %d, so it is written as "1";
//     MotorControl/axis.cpp and axis.hpp: the watchdog countdown starts at 0 and is loaded
//     from watchdog_timeout only by a feed (apply_config() at boot feeds once, with the
//     timeout stored then), and watchdog_check() flags WATCHDOG_TIMER_EXPIRED once enabled
//     with the countdown at 0, so the arm sequence writes the timeout, feeds, and only then
//     enables; watchdog_timeout is clamped to UINT32_MAX / (current_meas_hz + 1) s,
//     536 804 s at the v3 boards' 8 kHz.
// Firmware 0.6.x (ODrive Pro/S1) was not checked; these frames are for 0.5.x.
#include <array>
#include <string>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion {
namespace {

constexpr std::uint8_t kAxisCount = 2;  // v3.x boards, firmware 0.5.x: motor 0 or 1
// watchdog_timeout above this is clamped by the firmware (see [OD-FW]); refuse rather than
// let a configured value silently shrink.
constexpr long long kMaxWatchdogMs = 536'804'000;

void append(std::vector<std::uint8_t>& out, std::string_view line) {
  out.insert(out.end(), line.begin(), line.end());
}

// Milliseconds as the shortest exact decimal seconds: 500 -> "0.5", 1000 -> "1",
// 1250 -> "1.25", 1 -> "0.001".
std::string seconds_text(long long ms) {
  std::string text = std::to_string(ms / 1000);
  long long fraction = ms % 1000;
  if (fraction == 0) return text;
  std::string digits = std::to_string(fraction);
  digits.insert(0, 3 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

std::string_view stop_mode_text(OdriveStopMode mode) {
  switch (mode) {
    case OdriveStopMode::velocity_zero:
      return "velocity 0";
    case OdriveStopMode::idle:
      return "requested_state IDLE (1)";
    case OdriveStopMode::both:
      return "velocity 0, then requested_state IDLE (1)";
  }
  return "unknown";
}

}  // namespace

namespace detail {

Expected<MotorFrames> build_odrive(const MotorProtocolConfig& config) {
  const auto& axes = config.odrive_axes;
  if (axes.empty()) {
    return Error{0, "motion.odrive_axes: empty; list the axes to stop, e.g. [0, 1]"};
  }
  std::array<bool, kAxisCount> seen{};
  for (const std::uint8_t axis : axes) {
    if (axis >= kAxisCount) {
      return Error{0, "motion.odrive_axes: axis " + std::to_string(axis) +
                          " does not exist on an ODrive with firmware 0.5.x (axes 0 and 1)"};
    }
    if (seen[axis]) {
      return Error{0, "motion.odrive_axes: axis " + std::to_string(axis) + " is listed twice"};
    }
    seen[axis] = true;
  }
  const OdriveStopMode mode = config.odrive_stop;
  if (mode != OdriveStopMode::velocity_zero && mode != OdriveStopMode::idle &&
      mode != OdriveStopMode::both) {
    return Error{
        0, "motion.odrive_stop: unknown stop mode value " + std::to_string(static_cast<int>(mode))};
  }
  const long long timeout_ms = config.controller_timeout.count();
  if (timeout_ms > kMaxWatchdogMs) {
    return Error{0, "motion.controller_timeout: " + std::to_string(timeout_ms) +
                        " ms is above the ODrive watchdog maximum of " +
                        std::to_string(kMaxWatchdogMs) + " ms (the firmware clamps larger values)"};
  }

  MotorFrames frames;
  std::string axis_list;
  for (const std::uint8_t axis : axes) {
    if (!axis_list.empty()) axis_list += " and ";
    axis_list += std::to_string(axis);
  }
  if (mode != OdriveStopMode::idle) {
    for (const std::uint8_t axis : axes)
      append(frames.stop, "v " + std::to_string(axis) + " 0 0\n");
  }
  if (mode != OdriveStopMode::velocity_zero) {
    for (const std::uint8_t axis : axes) {
      append(frames.stop, "w axis" + std::to_string(axis) + ".requested_state 1\n");
    }
  }
  frames.description = std::string("ODrive ASCII, ") + (axes.size() == 1 ? "axis " : "axes ") +
                       axis_list + ": " + std::string(stop_mode_text(mode));
  if (timeout_ms != 0) {
    const std::string seconds = seconds_text(timeout_ms);
    for (const std::uint8_t axis : axes) {
      const std::string n = std::to_string(axis);
      append(frames.arm, "w axis" + n + ".config.watchdog_timeout " + seconds + "\n");
      append(frames.arm, "u " + n + "\n");
      append(frames.arm, "w axis" + n + ".config.enable_watchdog 1\n");
      append(frames.keepalive, "u " + n + "\n");
    }
    frames.description += "; axis watchdog " + seconds + " s, fed with \"u <axis>\"";
  }
  return frames;
}

}  // namespace detail
}  // namespace lifeline::motion
