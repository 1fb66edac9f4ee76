// The [motion] sections: defaults, every key, the exact text of every error, and the rules
// across keys and against the board.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config_motion_support.hpp"
#include "config_test_support.hpp"

namespace lifeline {
namespace {

using test::errors;
using test::expect_same_motion;
using test::kFile;
using test::kMotorBoard;
using test::motor_errors;
using test::parse;
using test::parse_motor;
using test::ScopedEnv;

// A board with the motor roles ([motor_enable] and [motor_serial]); the shared test board
// has neither.
TEST(ConfigMotion, EmptyFileGivesDefaults) {
  auto config = parse("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const MotionConfig& m = config->motion;
  expect_same_motion(m, MotionConfig{});
  EXPECT_FALSE(m.enabled);
  EXPECT_EQ(m.stop_category, 0);
  EXPECT_EQ(m.cat1_delay, Millis(500));
  EXPECT_EQ(m.stop_repeat, Millis(200));
  EXPECT_EQ(m.auto_rearm_after, Millis(0));
  EXPECT_TRUE(m.use_enable_line);
  EXPECT_EQ(m.serial_device, "");
  EXPECT_EQ(m.protocol, "none");
  EXPECT_EQ(m.address, 128U);
  EXPECT_EQ(m.odrive_axes, (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(m.odrive_stop, "both");
  EXPECT_EQ(m.custom_stop_hex, "");
  EXPECT_EQ(m.controller_timeout, Millis(0));
  EXPECT_FALSE(m.reset_board_on_output_failure);
  EXPECT_EQ(m.app.pidfile, "");
  EXPECT_EQ(m.app.exe, "");
  EXPECT_EQ(m.app.unit, "");
  EXPECT_EQ(m.app.resolve_interval, Millis(250));
  EXPECT_EQ(m.app.crash_loop_deaths, 5U);
  EXPECT_EQ(m.app.crash_loop_window, Seconds(60));
  EXPECT_FALSE(m.app.stop_unit_on_crash_loop);
  EXPECT_FALSE(m.lease_enabled);
  EXPECT_EQ(m.lease.socket_path, "/run/lifeline/lease.sock");
  EXPECT_EQ(m.lease.name, "app");
  EXPECT_EQ(m.lease.timeout, Millis(300));
  EXPECT_EQ(m.lease.allowed_uid, std::nullopt);
  EXPECT_EQ(m.lease.max_datagrams_per_second, 1000U);
  EXPECT_EQ(m.http_probe.url, "");
  EXPECT_EQ(m.http_probe.interval, Millis(500));
  EXPECT_EQ(m.http_probe.timeout, Millis(300));
  EXPECT_EQ(m.http_probe.failures_to_trip, 3U);
}

TEST(ConfigMotion, SpelledOutSchemaDefaultsMeanTheDefaults) {
  std::string text;
  for (std::string_view section : schema::config_sections()) {
    if (!section.starts_with("motion")) continue;
    text += "[" + std::string(section) + "]\n";
    for (const schema::Key& key : schema::config_keys()) {
      if (key.section == section) {
        text += std::string(key.name) + " = " + std::string(key.default_value) + "\n";
      }
    }
  }
  auto config = parse(text);
  ASSERT_TRUE(config.ok()) << config.error().message << "\n" << text;
  expect_same_motion(config->motion, MotionConfig{});
  EXPECT_TRUE(config->warnings.empty());
}

TEST(ConfigMotion, ShippedExampleHasTheMotionDefaults) {
  ScopedEnv env("LIFELINE_BOARD_PATH", std::string(LIFELINE_SOURCE_DIR) + "/board");
  auto config = load_config(std::string(LIFELINE_SOURCE_DIR) + "/docs/examples/lifeline.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  expect_same_motion(config->motion, MotionConfig{});
}

TEST(ConfigMotion, ParsesEveryKey) {
  auto config = parse_motor(R"(
[motion]
enabled = true
stop_category = 1
cat1_delay_ms = 250
stop_repeat_ms = 100
auto_rearm_after_ms = 5000
use_enable_line = true
serial_device = "/dev/ttyUSB0"
protocol = "roboclaw"
address = 130
odrive_axes = [1]
odrive_stop = "idle"
custom_stop_hex = ""
controller_timeout_ms = 500
reset_board_on_output_failure = true
[motion.app]
pidfile = "/run/robot.pid"
exe = "/usr/bin/robot"
unit = "robot@left.service"
resolve_interval_ms = 100
crash_loop_deaths = 3
crash_loop_window_s = 120
stop_unit_on_crash_loop = true
[motion.lease]
enabled = true
socket = "/run/robot/lease.sock"
name = "nav_2"
timeout_ms = 150
allowed_uid = 1000
max_datagrams_per_second = 200
[motion.http_probe]
url = "http://127.0.0.1:8080/health"
interval_ms = 1000
timeout_ms = 999
failures = 5
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->warnings.empty());
  const MotionConfig& m = config->motion;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.stop_category, 1);
  EXPECT_EQ(m.cat1_delay, Millis(250));
  EXPECT_EQ(m.stop_repeat, Millis(100));
  EXPECT_EQ(m.auto_rearm_after, Millis(5000));
  EXPECT_TRUE(m.use_enable_line);
  EXPECT_EQ(m.serial_device, "/dev/ttyUSB0");
  EXPECT_EQ(m.protocol, "roboclaw");
  EXPECT_EQ(m.address, 130U);
  EXPECT_EQ(m.odrive_axes, (std::vector<std::uint8_t>{1}));
  EXPECT_EQ(m.odrive_stop, "idle");
  EXPECT_EQ(m.custom_stop_hex, "");
  EXPECT_EQ(m.controller_timeout, Millis(500));
  EXPECT_TRUE(m.reset_board_on_output_failure);
  EXPECT_EQ(m.app.pidfile, "/run/robot.pid");
  EXPECT_EQ(m.app.exe, "/usr/bin/robot");
  EXPECT_EQ(m.app.unit, "robot@left.service");
  EXPECT_EQ(m.app.resolve_interval, Millis(100));
  EXPECT_EQ(m.app.crash_loop_deaths, 3U);
  EXPECT_EQ(m.app.crash_loop_window, Seconds(120));
  EXPECT_TRUE(m.app.stop_unit_on_crash_loop);
  EXPECT_TRUE(m.lease_enabled);
  EXPECT_EQ(m.lease.socket_path, "/run/robot/lease.sock");
  EXPECT_EQ(m.lease.name, "nav_2");
  EXPECT_EQ(m.lease.timeout, Millis(150));
  EXPECT_EQ(m.lease.allowed_uid, std::optional<uid_t>(1000));
  EXPECT_EQ(m.lease.max_datagrams_per_second, 200U);
  EXPECT_EQ(m.http_probe.url, "http://127.0.0.1:8080/health");
  EXPECT_EQ(m.http_probe.interval, Millis(1000));
  EXPECT_EQ(m.http_probe.timeout, Millis(999));
  EXPECT_EQ(m.http_probe.failures_to_trip, 5U);
}

TEST(ConfigMotion, ParsesTheOtherChoices) {
  auto config = parse_motor(R"([motion]
enabled = true
protocol = "custom"
custom_stop_hex = "0x80, 0x00"
odrive_axes = [1, 0]
odrive_stop = "velocity-zero"
auto_rearm_after_ms = 3600000
use_enable_line = false
[motion.lease]
enabled = true
allowed_uid = 0
[motion.http_probe]
url = "http://[::1]/"
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->motion.protocol, "custom");
  EXPECT_EQ(config->motion.custom_stop_hex, "0x80, 0x00");
  EXPECT_EQ(config->motion.odrive_axes, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(config->motion.odrive_stop, "velocity-zero");
  EXPECT_EQ(config->motion.auto_rearm_after, Millis(3600000));
  EXPECT_FALSE(config->motion.use_enable_line);
  EXPECT_EQ(config->motion.lease.allowed_uid, std::optional<uid_t>(0));
  EXPECT_EQ(config->motion.http_probe.url, "http://[::1]/");

  auto max_uid = parse("[motion.lease]\nallowed_uid = 4294967294\n");
  ASSERT_TRUE(max_uid.ok()) << max_uid.error().message;
  EXPECT_EQ(max_uid->motion.lease.allowed_uid, std::optional<uid_t>(4294967294U));
  for (const char* protocol : {"sabertooth-packetized", "sabertooth-simplified", "roboclaw",
                               "pololu-compact", "pololu", "odrive"}) {
    const std::string address = std::string(protocol).starts_with("pololu") ? "0" : "128";
    auto right = parse_motor("[motion]\nenabled = true\nprotocol = \"" + std::string(protocol) +
                             "\"\naddress = " + address + "\n[motion.lease]\nenabled = true\n");
    EXPECT_TRUE(right.ok()) << protocol << ": " << right.error().message;
  }
}

}  // namespace
}  // namespace lifeline
