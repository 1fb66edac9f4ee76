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
TEST(ConfigMotionErrors, WrongTypesAndRanges) {
  EXPECT_EQ(errors("[motion]\nenabled = \"yes\"\n"),
            kFile + ":2:11: [motion] enabled: expected true or false, found a string \"yes\"");
  EXPECT_EQ(errors("[motion]\nstop_category = 2\n"),
            kFile +
                ":2:17: [motion] stop_category: expected 0 or 1 (the IEC 60204-1 stop category), "
                "found 2");
  EXPECT_EQ(errors("[motion]\nstop_category = \"1\"\n"),
            kFile +
                ":2:17: [motion] stop_category: expected 0 or 1 (the IEC 60204-1 stop category), "
                "found a string \"1\"");
  EXPECT_EQ(errors("[motion]\ncat1_delay_ms = 10001\n"),
            kFile +
                ":2:17: [motion] cat1_delay_ms: expected an integer from 0 to 10000 "
                "(milliseconds), found 10001");
  EXPECT_EQ(errors("[motion]\nstop_repeat_ms = 19\n"),
            kFile +
                ":2:18: [motion] stop_repeat_ms: expected an integer from 20 to 5000 "
                "(milliseconds), found 19");
  EXPECT_EQ(errors("[motion]\nstop_repeat_ms = 5001\n"),
            kFile +
                ":2:18: [motion] stop_repeat_ms: expected an integer from 20 to 5000 "
                "(milliseconds), found 5001");
  const std::string rearm =
      ": [motion] auto_rearm_after_ms: expected 0 (only an operator re-arms) or an integer from "
      "1000 to 3600000 (milliseconds), found ";
  EXPECT_EQ(errors("[motion]\nauto_rearm_after_ms = 999\n"), kFile + ":2:23" + rearm + "999");
  EXPECT_EQ(errors("[motion]\nauto_rearm_after_ms = 3600001\n"),
            kFile + ":2:23" + rearm + "3600001");
  EXPECT_EQ(errors("[motion]\nauto_rearm_after_ms = -1\n"), kFile + ":2:23" + rearm + "-1");
  EXPECT_EQ(errors("[motion]\nauto_rearm_after_ms = 1.5\n"),
            kFile + ":2:23" + rearm + "a floating-point number 1.5");
  EXPECT_EQ(errors("[motion]\nuse_enable_line = 0\n"),
            kFile + ":2:19: [motion] use_enable_line: expected true or false, found an integer 0");
  EXPECT_EQ(errors("[motion]\naddress = 256\n"),
            kFile + ":2:11: [motion] address: expected an integer from 0 to 255, found 256");
  EXPECT_EQ(errors("[motion]\naddress = -1\n"),
            kFile + ":2:11: [motion] address: expected an integer from 0 to 255, found -1");
  const std::string controller =
      ": [motion] controller_timeout_ms: expected 0 (off) or an integer from 100 to 25500 "
      "(milliseconds), found ";
  EXPECT_EQ(errors("[motion]\ncontroller_timeout_ms = 99\n"), kFile + ":2:25" + controller + "99");
  EXPECT_EQ(errors("[motion]\ncontroller_timeout_ms = 25501\n"),
            kFile + ":2:25" + controller + "25501");
  EXPECT_EQ(errors("[motion]\nreset_board_on_output_failure = \"no\"\n"),
            kFile +
                ":2:33: [motion] reset_board_on_output_failure: expected true or false, found a "
                "string \"no\"");
}

TEST(ConfigMotionErrors, SerialDeviceAndChoices) {
  EXPECT_EQ(errors("[motion]\nserial_device = \"ttyUSB0\"\n"),
            kFile +
                ":2:17: [motion] serial_device: expected an absolute path, or \"\" for the "
                "board's motor_serial device, found \"ttyUSB0\"");
  const std::string protocols =
      ": [motion] protocol: expected \"none\" or a motor protocol: \"sabertooth-packetized\", "
      "\"sabertooth-simplified\", \"roboclaw\", \"pololu-compact\", \"pololu\", \"odrive\" or "
      "\"custom\", found ";
  EXPECT_EQ(errors("[motion]\nprotocol = \"RoboClaw\"\n"),
            kFile + ":2:12" + protocols + "\"RoboClaw\"");
  EXPECT_EQ(errors("[motion]\nprotocol = \"\"\n"), kFile + ":2:12" + protocols + "\"\"");
  EXPECT_EQ(errors("[motion]\nprotocol = 1\n"), kFile + ":2:12" + protocols + "an integer 1");
  EXPECT_EQ(errors("[motion]\nodrive_stop = \"brake\"\n"),
            kFile +
                ":2:15: [motion] odrive_stop: expected \"velocity-zero\", \"idle\" or \"both\", "
                "found \"brake\"");
}

TEST(ConfigMotionErrors, OdriveAxes) {
  const std::string what =
      ": [motion] odrive_axes: expected an array of 1 or 2 distinct ODrive axes, each 0 or 1, "
      "found ";
  EXPECT_EQ(errors("[motion]\nodrive_axes = 0\n"), kFile + ":2:15" + what + "an integer 0");
  EXPECT_EQ(errors("[motion]\nodrive_axes = []\n"), kFile + ":2:15" + what + "an empty array");
  EXPECT_EQ(errors("[motion]\nodrive_axes = [0, 1, 0]\n"),
            kFile + ":2:15" + what + "an array of 3 values");
  EXPECT_EQ(errors("[motion]\nodrive_axes = [0, 2]\n"),
            kFile + ":2:19" + what + "an array holding 2");
  EXPECT_EQ(errors("[motion]\nodrive_axes = [-1]\n"),
            kFile + ":2:16" + what + "an array holding -1");
  EXPECT_EQ(errors("[motion]\nodrive_axes = [\"0\"]\n"),
            kFile + ":2:16" + what + "an array holding a string \"0\"");
  EXPECT_EQ(errors("[motion]\nodrive_axes = [1, 1]\n"), kFile + ":2:19" + what + "axis 1 twice");
}

TEST(ConfigMotionErrors, CustomStopHex) {
  EXPECT_EQ(errors("[motion]\ncustom_stop_hex = \"80 zz\"\n"),
            kFile +
                ":2:19: [motion] custom_stop_hex: expected hex bytes such as \"80 00 00 00\", "
                "found \"80 zz\" (hex bytes: token 2 \"zz\": is not hexadecimal (digits 0-9, "
                "a-f, A-F))");
  EXPECT_EQ(errors("[motion]\ncustom_stop_hex = 0x80\n"),
            kFile +
                ":2:19: [motion] custom_stop_hex: expected hex bytes such as \"80 00 00 00\", "
                "found an integer 128");
  // Required for protocol = "custom": at the empty value, or at the protocol when missing.
  EXPECT_EQ(errors("[motion]\nprotocol = \"custom\"\ncustom_stop_hex = \"\"\n"),
            kFile +
                ":3:19: [motion] custom_stop_hex: expected hex bytes such as \"80 00 00 00\" "
                "(the stop frame protocol = \"custom\" writes), found \"\"");
  EXPECT_EQ(errors("[motion]\nprotocol = \"custom\"\n"),
            kFile +
                ":2:12: [motion] custom_stop_hex: expected hex bytes such as \"80 00 00 00\" "
                "(the stop frame protocol = \"custom\" writes), found nothing (required with "
                "protocol = \"custom\")");
  // Given for another protocol: accepted, with a warning.
  auto ignored = parse("[motion]\ncustom_stop_hex = \"80\"\n");
  ASSERT_TRUE(ignored.ok()) << ignored.error().message;
  ASSERT_EQ(ignored->warnings.size(), 1U);
  EXPECT_EQ(ignored->warnings[0],
            kFile +
                ":2:19: [motion] custom_stop_hex: is ignored: protocol is \"none\", not "
                "\"custom\"");
}

TEST(ConfigMotionErrors, ProtocolFramesAreBuiltAtLoad) {
  // The frame builders' own messages, at the protocol key.
  EXPECT_EQ(errors("[motion]\nprotocol = \"sabertooth-packetized\"\naddress = 127\n"),
            kFile +
                ":2:12: [motion] protocol: expected settings protocol \"sabertooth-packetized\" "
                "can build its frames from, found motion.address: 127 is not a Sabertooth "
                "packetized serial address (128..135)");
  EXPECT_EQ(errors("[motion]\nprotocol = \"sabertooth-packetized\"\ncontroller_timeout_ms = 150\n"),
            kFile +
                ":2:12: [motion] protocol: expected settings protocol \"sabertooth-packetized\" "
                "can build its frames from, found motion.controller_timeout: 150 ms is not a "
                "multiple of 100 ms, the Sabertooth packetized serial timeout unit; use 100 or "
                "200 ms");
  EXPECT_EQ(errors("[motion]\nprotocol = \"custom\"\ncustom_stop_hex = \"80\"\n"
                   "controller_timeout_ms = 1000\n"),
            kFile +
                ":2:12: [motion] protocol: expected settings protocol \"custom\" can build its "
                "frames from, found motion.controller_timeout: the custom protocol has no serial "
                "timeout lifeline can configure over this protocol, so no second layer would "
                "exist; set controller_timeout = 0 (lifeline only writes the custom stop frame "
                "and cannot set a timeout on an unknown controller; configure the controller's "
                "own timeout with its vendor tool)");
  const std::string long_frame(65 * 2, '8');
  EXPECT_EQ(errors("[motion]\nprotocol = \"custom\"\ncustom_stop_hex = \"" + long_frame + "\"\n"),
            kFile +
                ":2:12: [motion] protocol: expected settings protocol \"custom\" can build its "
                "frames from, found motion.custom_stop: 65 bytes; a stop frame is at most 64 "
                "bytes");
  // Checked whether or not motion is enabled; not when the inputs were already rejected.
  EXPECT_EQ(errors("[motion]\nprotocol = \"roboclaw\"\naddress = 300\n"),
            kFile + ":3:11: [motion] address: expected an integer from 0 to 255, found 300");
  EXPECT_TRUE(parse("[motion]\nprotocol = \"roboclaw\"\naddress = 135\n").ok());
}

TEST(ConfigMotionErrors, App) {
  EXPECT_EQ(errors("[motion.app]\npidfile = \"run/robot.pid\"\n"),
            kFile +
                ":2:11: [motion.app] pidfile: expected an absolute path, or \"\" for none, found "
                "\"run/robot.pid\"");
  EXPECT_EQ(errors("[motion.app]\nexe = \"robot\"\n"),
            kFile +
                ":2:7: [motion.app] exe: expected an absolute path, or \"\" for none, found "
                "\"robot\"");
  const std::string unit =
      ": [motion.app] unit: expected a systemd service unit name such as \"robot.service\", or "
      "\"\" for none, found ";
  for (const char* bad : {"robot", "robot.socket", ".service", "robot@.service", "@x.service",
                          "a b.service", "a@b@c.service"}) {
    EXPECT_EQ(errors(std::string("[motion.app]\nunit = \"") + bad + "\"\n"),
              kFile + ":2:8" + unit + "\"" + bad + "\"");
  }
  EXPECT_EQ(errors("[motion.app]\nunit = \"" + std::string(248, 'a') + ".service\"\n"),
            kFile + ":2:8" + unit + "\"" + std::string(80, 'a') + "...\"");
  EXPECT_TRUE(parse("[motion.app]\nunit = \"" + std::string(247, 'a') + ".service\"\n").ok());
  EXPECT_EQ(errors("[motion.app]\nresolve_interval_ms = 19\n"),
            kFile +
                ":2:23: [motion.app] resolve_interval_ms: expected an integer from 20 to 10000 "
                "(milliseconds), found 19");
  EXPECT_EQ(errors("[motion.app]\ncrash_loop_deaths = 1\n"),
            kFile +
                ":2:21: [motion.app] crash_loop_deaths: expected an integer from 2 to 100, "
                "found 1");
  EXPECT_EQ(errors("[motion.app]\ncrash_loop_window_s = 86401\n"),
            kFile +
                ":2:23: [motion.app] crash_loop_window_s: expected an integer from 1 to 86400 "
                "(seconds), found 86401");
  EXPECT_EQ(errors("[motion.app]\nstop_unit_on_crash_loop = 1\n"),
            kFile +
                ":2:27: [motion.app] stop_unit_on_crash_loop: expected true or false, found an "
                "integer 1");
  auto no_unit = parse("[motion.app]\nstop_unit_on_crash_loop = true\n");
  ASSERT_TRUE(no_unit.ok()) << no_unit.error().message;
  ASSERT_EQ(no_unit->warnings.size(), 1U);
  EXPECT_EQ(no_unit->warnings[0],
            kFile +
                ":2:27: [motion.app] stop_unit_on_crash_loop: has no effect without a unit; set "
                "unit to the app's .service");
}

TEST(ConfigMotionErrors, Lease) {
  EXPECT_EQ(errors("[motion.lease]\nenabled = 1\n"),
            kFile + ":2:11: [motion.lease] enabled: expected true or false, found an integer 1");
  EXPECT_EQ(
      errors("[motion.lease]\nsocket = \"lease.sock\"\n"),
      kFile + ":2:10: [motion.lease] socket: expected an absolute path, found \"lease.sock\"");
  const std::string long_socket = "/run/" + std::string(103, 's');  // 108 bytes
  EXPECT_EQ(errors("[motion.lease]\nsocket = \"" + long_socket + "\"\n"),
            kFile +
                ":2:10: [motion.lease] socket: expected an absolute path of at most 107 bytes "
                "(the sun_path limit), found a path of 108 bytes");
  EXPECT_TRUE(parse("[motion.lease]\nsocket = \"" + long_socket.substr(0, 107) + "\"\n").ok());
  EXPECT_EQ(errors("[motion.lease]\nenabled = true\nsocket = \"/run/lifeline/control.sock\"\n"),
            kFile +
                ":3:10: [motion.lease] socket: expected a path other than [agent] "
                "control_socket, found \"/run/lifeline/control.sock\"");
  const std::string name =
      ": [motion.lease] name: expected a name of 1 to 32 characters from a-z, 0-9, '_' and "
      "'-', found ";
  EXPECT_EQ(errors("[motion.lease]\nname = \"App\"\n"), kFile + ":2:8" + name + "\"App\"");
  EXPECT_EQ(errors("[motion.lease]\nname = \"\"\n"), kFile + ":2:8" + name + "\"\"");
  EXPECT_EQ(errors("[motion.lease]\nname = \"" + std::string(33, 'a') + "\"\n"),
            kFile + ":2:8" + name + "\"" + std::string(33, 'a') + "\"");
  EXPECT_EQ(errors("[motion.lease]\ntimeout_ms = 60001\n"),
            kFile +
                ":2:14: [motion.lease] timeout_ms: expected an integer from 20 to 60000 "
                "(milliseconds), found 60001");
  EXPECT_EQ(errors("[motion.lease]\nallowed_uid = -2\n"),
            kFile +
                ":2:15: [motion.lease] allowed_uid: expected an integer from -1 to 4294967294, "
                "found -2");
  EXPECT_EQ(errors("[motion.lease]\nallowed_uid = 4294967295\n"),
            kFile +
                ":2:15: [motion.lease] allowed_uid: expected an integer from -1 to 4294967294, "
                "found 4294967295");
  EXPECT_EQ(errors("[motion.lease]\nmax_datagrams_per_second = 9\n"),
            kFile +
                ":2:28: [motion.lease] max_datagrams_per_second: expected an integer from 10 to "
                "100000, found 9");
}

TEST(ConfigMotionErrors, HttpProbe) {
  const std::string url =
      ": [motion.http_probe] url: expected \"\" (no probe) or an http:// URL on loopback "
      "(127.x.x.x, localhost or [::1]), found ";
  EXPECT_EQ(
      errors("[motion.http_probe]\nurl = \"http://10.0.0.1/health\"\n"),
      kFile + ":2:7" + url + "\"http://10.0.0.1/health\" (is not a loopback address (127.x.x.x))");
  EXPECT_EQ(errors("[motion.http_probe]\nurl = \"https://127.0.0.1/\"\n"),
            kFile + ":2:7" + url +
                "\"https://127.0.0.1/\" (https is not supported: the probe speaks plain HTTP on "
                "loopback)");
  EXPECT_EQ(errors("[motion.http_probe]\nurl = \"http://127.0.0.1/a b\"\n"),
            kFile + ":2:7" + url +
                "\"http://127.0.0.1/a b\" (probe URL has a space, control or non-ASCII byte at "
                "offset 18 (percent-encode it))");
  EXPECT_EQ(errors("[motion.http_probe]\nurl = 8080\n"), kFile + ":2:7" + url + "an integer 8080");
  for (const char* good : {"http://127.0.0.1:8080/health", "http://localhost/", "http://[::1]:80",
                           "http://127.1.2.3/x?y=1"}) {
    EXPECT_TRUE(parse(std::string("[motion.http_probe]\nurl = \"") + good + "\"\n").ok()) << good;
  }
  EXPECT_EQ(errors("[motion.http_probe]\ninterval_ms = 49\n"),
            kFile +
                ":2:15: [motion.http_probe] interval_ms: expected an integer from 50 to 60000 "
                "(milliseconds), found 49");
  EXPECT_EQ(errors("[motion.http_probe]\ntimeout_ms = 9\n"),
            kFile +
                ":2:14: [motion.http_probe] timeout_ms: expected an integer from 10 to 60000 "
                "(milliseconds), found 9");
  EXPECT_EQ(
      errors("[motion.http_probe]\nfailures = 0\n"),
      kFile + ":2:12: [motion.http_probe] failures: expected an integer from 1 to 100, found 0");
}

TEST(ConfigMotionErrors, HttpTimeoutMustBeUnderTheInterval) {
  EXPECT_EQ(errors("[motion.http_probe]\ninterval_ms = 200\ntimeout_ms = 200\n"),
            kFile +
                ":3:14: [motion.http_probe] timeout_ms: expected an integer from 10 to 199 "
                "(milliseconds), less than interval_ms = 200, found 200");
  // With the default interval of 500 ms.
  EXPECT_EQ(errors("[motion.http_probe]\ntimeout_ms = 500\n"),
            kFile +
                ":2:14: [motion.http_probe] timeout_ms: expected an integer from 10 to 499 "
                "(milliseconds), less than interval_ms = 500, found 500");
  EXPECT_TRUE(parse("[motion.http_probe]\ninterval_ms = 300\ntimeout_ms = 299\n").ok());
  // The default timeout of 300 ms against a shorter interval: at the interval.
  EXPECT_EQ(errors("[motion.http_probe]\ninterval_ms = 300\n"),
            kFile +
                ":2:15: [motion.http_probe] interval_ms: expected an integer from 301 to 60000 "
                "(milliseconds), more than timeout_ms = 300 (the default; or set a shorter "
                "timeout_ms), found 300");
  // A rejected interval is reported alone.
  EXPECT_EQ(errors("[motion.http_probe]\ninterval_ms = 10\ntimeout_ms = 400\n"),
            kFile +
                ":2:15: [motion.http_probe] interval_ms: expected an integer from 50 to 60000 "
                "(milliseconds), found 10");
}

TEST(ConfigMotionErrors, EnabledNeedsADetector) {
  const std::string none =
      ":2:11: [motion] enabled: expected false, or at least one detector ([motion.app] pidfile, "
      "exe or unit, [motion.lease] enabled, or a [motion.http_probe] url), found true with none "
      "configured";
  EXPECT_EQ(motor_errors("[motion]\nenabled = true\n"), kFile + none);
  EXPECT_EQ(motor_errors("[motion]\nenabled = true\n[motion.app]\npidfile = \"\"\n"
                         "[motion.lease]\nenabled = false\n[motion.http_probe]\nurl = \"\"\n"),
            kFile + none);
  // Any one detector will do.
  for (const char* detector :
       {"[motion.app]\npidfile = \"/run/robot.pid\"\n", "[motion.app]\nexe = \"/usr/bin/robot\"\n",
        "[motion.app]\nunit = \"robot.service\"\n", "[motion.lease]\nenabled = true\n",
        "[motion.http_probe]\nurl = \"http://127.0.0.1/\"\n"}) {
    auto config = parse_motor(std::string("[motion]\nenabled = true\n") + detector);
    EXPECT_TRUE(config.ok()) << detector << config.error().message;
  }
  // A detector that was given but rejected is reported alone.
  EXPECT_EQ(motor_errors("[motion]\nenabled = true\n[motion.app]\npidfile = \"robot.pid\"\n"),
            kFile +
                ":4:11: [motion.app] pidfile: expected an absolute path, or \"\" for none, found "
                "\"robot.pid\"");
}

TEST(ConfigMotionErrors, NoOutputAndStopCategoryOne) {
  EXPECT_EQ(motor_errors("[motion]\nenabled = true\nuse_enable_line = false\n"
                         "[motion.lease]\nenabled = true\n"),
            kFile +
                ":2:11: [motion] enabled: expected false, or a way to stop the motors "
                "(use_enable_line = true or a protocol), found true with use_enable_line = false "
                "and protocol = \"none\"");
  const std::string category =
      ":3:17: [motion] stop_category: expected 0, or 1 with both a protocol (the controlled "
      "stop) and use_enable_line = true (power removed after cat1_delay_ms), found 1 with ";
  EXPECT_EQ(motor_errors("[motion]\nenabled = true\nstop_category = 1\n"
                         "[motion.lease]\nenabled = true\n"),
            kFile + category + "protocol = \"none\"");
  EXPECT_EQ(motor_errors("[motion]\nenabled = true\nstop_category = 1\nprotocol = \"roboclaw\"\n"
                         "use_enable_line = false\n[motion.lease]\nenabled = true\n"),
            kFile + category + "use_enable_line = false");
  // Not checked while motion is disabled.
  EXPECT_TRUE(parse("[motion]\nstop_category = 1\nuse_enable_line = false\n").ok());
}

TEST(ConfigMotionErrors, BoardMustHaveTheOutputs) {
  // The shared test board has neither [motor_enable] nor [motor_serial].
  EXPECT_EQ(errors("[motion]\nenabled = true\n[motion.lease]\nenabled = true\n"),
            kFile +
                ":1:1: [motion] use_enable_line: expected false when the board has no "
                "motor_enable line, found true (the default) (board \"test\" has no "
                "[motor_enable])");
  EXPECT_EQ(errors("[motion]\nenabled = true\nuse_enable_line = true\n"
                   "[motion.lease]\nenabled = true\n"),
            kFile +
                ":3:19: [motion] use_enable_line: expected false when the board has no "
                "motor_enable line, found true (board \"test\" has no [motor_enable])");
  EXPECT_EQ(errors("[motion]\nenabled = true\nuse_enable_line = false\nprotocol = \"roboclaw\"\n"
                   "[motion.lease]\nenabled = true\n"),
            kFile +
                ":4:12: [motion] protocol: expected \"none\" when there is no serial device (set "
                "serial_device, or use a board with [motor_serial]), found \"roboclaw\" (board "
                "\"test\" has no [motor_serial])");
  EXPECT_TRUE(parse("[motion]\nenabled = true\nuse_enable_line = false\nprotocol = \"roboclaw\"\n"
                    "serial_device = \"/dev/ttyUSB0\"\n[motion.lease]\nenabled = true\n")
                  .ok());
  // Disabled motion does not need the board's outputs.
  EXPECT_TRUE(parse("[motion]\nprotocol = \"roboclaw\"\n").ok());
}

TEST(ConfigMotionErrors, UnknownKeysAndSections) {
  EXPECT_EQ(errors("[motion]\nstop_repeat = 100\n"),
            kFile + ":2:1: [motion] stop_repeat: unknown key (did you mean stop_repeat_ms?)");
  EXPECT_EQ(errors("[motion]\npidfile = \"/run/robot.pid\"\n"),
            kFile + ":2:1: [motion] pidfile: unknown key (it belongs in [motion.app])");
  EXPECT_EQ(errors("[motion.lease]\nsokcet = \"/run/l.sock\"\n"),
            kFile + ":2:1: [motion.lease] sokcet: unknown key (did you mean socket?)");
  EXPECT_EQ(errors("[motion.http_probe]\nfailures_to_trip = 3\n"),
            kFile + ":2:1: [motion.http_probe] failures_to_trip: unknown key");
  EXPECT_EQ(errors("[motion.leese]\nenabled = true\n"),
            kFile + ":1:9: [motion.leese]: unknown section (did you mean [motion.lease]?)");
  EXPECT_EQ(errors("[motion.probe]\nurl = \"\"\n"),
            kFile + ":1:9: [motion.probe]: unknown section");
  EXPECT_EQ(errors("[motion]\napp = 5\n"),
            kFile + ":2:7: [motion] app: expected a table ([motion.app]), found an integer 5");
  EXPECT_EQ(errors("[motoin]\nenabled = true\n"),
            kFile + ":1:2: [motoin]: unknown section (did you mean [motion]?)");
  EXPECT_EQ(errors("\"motion.app\" = 1\n"), kFile + ":1:1: \"motion.app\": unknown key");
}

TEST(ConfigMotionErrors, AllReportedTogetherInFileOrder) {
  EXPECT_EQ(errors(R"([motion]
stop_category = 3
protocol = "sabertooth"
[motion.app]
unit = "robot"
[motion.lease]
name = "Nav"
[motion.http_probe]
url = "http://example.com/"
)"),
            kFile +
                ":2:17: [motion] stop_category: expected 0 or 1 (the IEC 60204-1 stop category), "
                "found 3\n" +
                kFile +
                ":3:12: [motion] protocol: expected \"none\" or a motor protocol: "
                "\"sabertooth-packetized\", \"sabertooth-simplified\", \"roboclaw\", "
                "\"pololu-compact\", \"pololu\", \"odrive\" or \"custom\", found \"sabertooth\"\n" +
                kFile +
                ":5:8: [motion.app] unit: expected a systemd service unit name such as "
                "\"robot.service\", or \"\" for none, found \"robot\"\n" +
                kFile +
                ":7:8: [motion.lease] name: expected a name of 1 to 32 characters from a-z, 0-9, "
                "'_' and '-', found \"Nav\"\n" +
                kFile +
                ":9:7: [motion.http_probe] url: expected \"\" (no probe) or an http:// URL on "
                "loopback (127.x.x.x, localhost or [::1]), found \"http://example.com/\" (host "
                "must be a loopback literal (127.x.x.x, localhost or [::1]))");
}

}  // namespace
}  // namespace lifeline
