// Shared by the [motion] config tests: a board with motor roles and parse helpers.
#pragma once

#include <string>
#include <string_view>

#include "config_test_support.hpp"

namespace lifeline::test {

inline constexpr std::string_view kMotorBoard = R"(description = "motor board"
hal = "sim"
[watchdog]
device = "sim"
max_timeout_s = 15
[motor_enable]
chip = "sim"
line = 22
[motor_serial]
device = "sim-serial"
baud = 9600
)";

inline Expected<Config> parse_motor(std::string_view text) {
  return parse_config(text, kFile, [](const std::string&, const std::string&) {
    return parse_board(kMotorBoard, "/boards/motor.toml");
  });
}

inline std::string motor_errors(std::string_view text) {
  auto result = parse_motor(text);
  EXPECT_FALSE(result.ok()) << "accepted:\n" << text;
  return result.ok() ? std::string() : result.error().message;
}

inline void expect_same_motion(const MotionConfig& a, const MotionConfig& b) {
  EXPECT_EQ(a.enabled, b.enabled);
  EXPECT_EQ(a.stop_category, b.stop_category);
  EXPECT_EQ(a.cat1_delay, b.cat1_delay);
  EXPECT_EQ(a.stop_repeat, b.stop_repeat);
  EXPECT_EQ(a.auto_rearm_after, b.auto_rearm_after);
  EXPECT_EQ(a.use_enable_line, b.use_enable_line);
  EXPECT_EQ(a.serial_device, b.serial_device);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.odrive_axes, b.odrive_axes);
  EXPECT_EQ(a.odrive_stop, b.odrive_stop);
  EXPECT_EQ(a.custom_stop_hex, b.custom_stop_hex);
  EXPECT_EQ(a.controller_timeout, b.controller_timeout);
  EXPECT_EQ(a.reset_board_on_output_failure, b.reset_board_on_output_failure);
  EXPECT_EQ(a.app.pidfile, b.app.pidfile);
  EXPECT_EQ(a.app.exe, b.app.exe);
  EXPECT_EQ(a.app.unit, b.app.unit);
  EXPECT_EQ(a.app.resolve_interval, b.app.resolve_interval);
  EXPECT_EQ(a.app.crash_loop_deaths, b.app.crash_loop_deaths);
  EXPECT_EQ(a.app.crash_loop_window, b.app.crash_loop_window);
  EXPECT_EQ(a.app.stop_unit_on_crash_loop, b.app.stop_unit_on_crash_loop);
  EXPECT_EQ(a.lease_enabled, b.lease_enabled);
  EXPECT_EQ(a.lease.socket_path, b.lease.socket_path);
  EXPECT_EQ(a.lease.name, b.lease.name);
  EXPECT_EQ(a.lease.timeout, b.lease.timeout);
  EXPECT_EQ(a.lease.allowed_uid, b.lease.allowed_uid);
  EXPECT_EQ(a.lease.max_datagrams_per_second, b.lease.max_datagrams_per_second);
  EXPECT_EQ(a.http_probe.url, b.http_probe.url);
  EXPECT_EQ(a.http_probe.interval, b.http_probe.interval);
  EXPECT_EQ(a.http_probe.timeout, b.http_probe.timeout);
  EXPECT_EQ(a.http_probe.failures_to_trip, b.http_probe.failures_to_trip);
}

}  // namespace lifeline::test
