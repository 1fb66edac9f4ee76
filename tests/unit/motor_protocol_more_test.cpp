// Motor protocol frames, part 2: ODrive, custom frames, the builder and hex parsing.
// Expected bytes are written out by hand from the vendor documents cited in
// docs/motor-protocols.md; RoboClaw CRCs were cross-checked against an independent CRC-16/XMODEM
// implementation (Python's binascii.crc_hqx with initial value 0), since the RoboClaw manual gives
// no worked packet.
#include "motion/protocols/motor_protocol.hpp"
#include "motor_protocol_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::motion {
namespace {

using std::chrono::milliseconds;
using test::ascii;
using test::build_ok;
using test::Bytes;
using test::bytes;
using test::config_for;
using test::expect_error;

TEST(MotorProtocolOdrive, DefaultBothAxesVelocityThenIdle) {
  const MotorFrames frames = build_ok(config_for(MotorProtocol::odrive_ascii));
  EXPECT_EQ(frames.stop, ascii("v 0 0 0\n"
                               "v 1 0 0\n"
                               "w axis0.requested_state 1\n"
                               "w axis1.requested_state 1\n"));
  EXPECT_TRUE(frames.arm.empty());
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description,
            "ODrive ASCII, axes 0 and 1: velocity 0, then requested_state IDLE (1)");
}

TEST(MotorProtocolOdrive, StopModes) {
  auto config = config_for(MotorProtocol::odrive_ascii);
  config.odrive_axes = {1};
  config.odrive_stop = OdriveStopMode::velocity_zero;
  MotorFrames frames = build_ok(config);
  EXPECT_EQ(frames.stop, ascii("v 1 0 0\n"));
  EXPECT_EQ(frames.description, "ODrive ASCII, axis 1: velocity 0");

  config.odrive_stop = OdriveStopMode::idle;
  config.odrive_axes = {1, 0};  // order as configured
  frames = build_ok(config);
  EXPECT_EQ(frames.stop, ascii("w axis1.requested_state 1\nw axis0.requested_state 1\n"));
  EXPECT_EQ(frames.description, "ODrive ASCII, axes 1 and 0: requested_state IDLE (1)");

  config.odrive_stop = OdriveStopMode::both;
  config.odrive_axes = {0};
  EXPECT_EQ(build_ok(config).stop, ascii("v 0 0 0\nw axis0.requested_state 1\n"));
}

TEST(MotorProtocolOdrive, WatchdogArmAndKeepalive) {
  auto config = config_for(MotorProtocol::odrive_ascii);
  config.controller_timeout = milliseconds(500);
  const MotorFrames frames = build_ok(config);
  // Timeout first, then a feed (the countdown starts at 0 and would trip at once), then enable.
  EXPECT_EQ(frames.arm, ascii("w axis0.config.watchdog_timeout 0.5\n"
                              "u 0\n"
                              "w axis0.config.enable_watchdog 1\n"
                              "w axis1.config.watchdog_timeout 0.5\n"
                              "u 1\n"
                              "w axis1.config.enable_watchdog 1\n"));
  EXPECT_EQ(frames.keepalive, ascii("u 0\nu 1\n"));
  EXPECT_EQ(frames.stop, ascii("v 0 0 0\nv 1 0 0\nw axis0.requested_state 1\n"
                               "w axis1.requested_state 1\n"));
  EXPECT_EQ(frames.description,
            "ODrive ASCII, axes 0 and 1: velocity 0, then requested_state IDLE (1); axis watchdog "
            "0.5 s, fed with \"u <axis>\"");
}

TEST(MotorProtocolOdrive, WatchdogSecondsAreExactDecimals) {
  auto config = config_for(MotorProtocol::odrive_ascii);
  config.odrive_axes = {1};
  const std::array<std::pair<long long, std::string_view>, 7> cases{{
      {1, "0.001"},
      {10, "0.01"},
      {250, "0.25"},
      {1000, "1"},
      {1010, "1.01"},
      {1250, "1.25"},
      {60000, "60"},
  }};
  for (const auto& [ms, seconds] : cases) {
    config.controller_timeout = milliseconds(ms);
    EXPECT_EQ(build_ok(config).arm,
              ascii("w axis1.config.watchdog_timeout " + std::string(seconds) +
                    "\nu 1\nw axis1.config.enable_watchdog 1\n"))
        << ms;
  }
  config.controller_timeout = milliseconds(536'804'000);
  EXPECT_EQ(build_ok(config).keepalive, ascii("u 1\n"));
  config.controller_timeout = milliseconds(536'804'001);
  expect_error(config, "motion.controller_timeout", "ODrive watchdog maximum");
  config.controller_timeout = milliseconds(-5);
  expect_error(config, "motion.controller_timeout", "negative");
}

TEST(MotorProtocolOdrive, FramesAreNewlineTerminatedAscii) {
  auto config = config_for(MotorProtocol::odrive_ascii);
  config.controller_timeout = milliseconds(1234);
  const MotorFrames frames = build_ok(config);
  for (const Bytes* frame : {&frames.stop, &frames.arm, &frames.keepalive}) {
    ASSERT_FALSE(frame->empty());
    EXPECT_EQ(frame->back(), '\n');
    for (const std::uint8_t byte : *frame) {
      EXPECT_TRUE(byte == '\n' || (byte >= 0x20 && byte < 0x7F)) << static_cast<int>(byte);
    }
  }
}

TEST(MotorProtocolOdrive, AddressIsIgnored) {
  auto config = config_for(MotorProtocol::odrive_ascii);
  config.address = 0;
  EXPECT_EQ(build_ok(config).stop, build_ok(config_for(MotorProtocol::odrive_ascii)).stop);
}

TEST(MotorProtocolOdrive, AxesValidation) {
  auto config = config_for(MotorProtocol::odrive_ascii);
  config.odrive_axes = {};
  expect_error(config, "motion.odrive_axes", "empty");
  config.odrive_axes = {0, 2};
  expect_error(config, "motion.odrive_axes", "axis 2 does not exist");
  config.odrive_axes = {255};
  expect_error(config, "motion.odrive_axes", "axis 255");
  config.odrive_axes = {1, 1};
  expect_error(config, "motion.odrive_axes", "listed twice");
  config.odrive_axes = {0};
  config.odrive_stop = static_cast<OdriveStopMode>(7);
  expect_error(config, "motion.odrive_stop", "unknown stop mode");
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolCustom, StopFrameAsGiven) {
  auto config = config_for(MotorProtocol::custom);
  config.custom_stop = bytes({0x80, 0x22, 0x00, 0x00, 0x00, 0x00});
  MotorFrames frames = build_ok(config);
  EXPECT_EQ(frames.stop, config.custom_stop);
  EXPECT_TRUE(frames.arm.empty());
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description, "custom stop frame, 6 bytes: 80 22 00 00 00 00");
  config.custom_stop = bytes({0xE0});
  EXPECT_EQ(build_ok(config).stop, bytes({0xE0}));
  config.custom_stop = Bytes(kCustomFrameMaxBytes, 0xFF);
  EXPECT_EQ(build_ok(config).stop.size(), 64U);
}

TEST(MotorProtocolCustom, Validation) {
  auto config = config_for(MotorProtocol::custom);
  expect_error(config, "motion.custom_stop", "empty");
  config.custom_stop = Bytes(65, 0x00);
  expect_error(config, "motion.custom_stop", "at most 64 bytes");
  config.custom_stop = bytes({0x00});
  config.controller_timeout = milliseconds(500);
  expect_error(config, "motion.controller_timeout", "no serial timeout");
  config.controller_timeout = milliseconds(-500);
  expect_error(config, "motion.controller_timeout", "negative");
}

TEST(MotorProtocolBuild, UnknownProtocolValue) {
  auto config = config_for(static_cast<MotorProtocol>(42));
  expect_error(config, "motion.protocol", "unknown protocol");
}

TEST(MotorProtocolBuild, SameConfigSameFrames) {
  auto config = config_for(MotorProtocol::roboclaw_packet);
  config.controller_timeout = milliseconds(300);
  const MotorFrames a = build_ok(config);
  const MotorFrames b = build_ok(config);
  EXPECT_EQ(a.stop, b.stop);
  EXPECT_EQ(a.arm, b.arm);
  EXPECT_EQ(a.description, b.description);
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolHex, AcceptedForms) {
  const std::array<std::pair<std::string_view, Bytes>, 14> cases{{
      {"80 00 00 00", bytes({0x80, 0x00, 0x00, 0x00})},
      {"0x80,0x00", bytes({0x80, 0x00})},
      {"0x80, 0x00", bytes({0x80, 0x00})},
      {"0X80 0Xff", bytes({0x80, 0xFF})},
      {"de AD Be eF", bytes({0xDE, 0xAD, 0xBE, 0xEF})},
      {"80000000", bytes({0x80, 0x00, 0x00, 0x00})},
      {"AA0D60", bytes({0xAA, 0x0D, 0x60})},
      {"  80\t00\r\n01  ", bytes({0x80, 0x00, 0x01})},
      {"8", bytes({0x08})},
      {"0x8", bytes({0x08})},
      {"0", bytes({0x00})},
      {"80,00 01", bytes({0x80, 0x00, 0x01})},
      {"80 , 00", bytes({0x80, 0x00})},
      {"0x00,0x7f,0x80,0xff", bytes({0x00, 0x7F, 0x80, 0xFF})},
  }};
  for (const auto& [text, expected] : cases) {
    auto parsed = parse_hex_bytes(text);
    ASSERT_TRUE(parsed.ok()) << "\"" << text << "\": " << parsed.error().message;
    EXPECT_EQ(*parsed, expected) << "\"" << text << "\"";
  }
}

TEST(MotorProtocolHex, RejectedForms) {
  const std::array<std::pair<std::string_view, std::string_view>, 16> cases{{
      {"", "no bytes"},
      {"  \t\n", "no bytes"},
      {",", "no byte before it"},
      {",80", "no byte before it"},
      {"80,,00", "no byte before it"},
      {"80,", "trailing comma"},
      {"80 00,", "trailing comma"},
      {"0x", "no hex digits after 0x"},
      {"80 0x", "token 2"},
      {"0x123", "3 hex digits after 0x"},
      {"123", "odd number of hex digits"},
      {"8g", "not hexadecimal"},
      {"0x8g", "not hexadecimal"},
      {"80;00", "not hexadecimal"},
      {"-80", "not hexadecimal"},
      {"0x-1", "not hexadecimal"},
  }};
  for (const auto& [text, fragment] : cases) {
    auto parsed = parse_hex_bytes(text);
    ASSERT_FALSE(parsed.ok()) << "\"" << text << "\" parsed";
    EXPECT_NE(parsed.error().message.find(fragment), std::string::npos)
        << "\"" << text << "\": " << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("hex bytes"), std::string::npos);
  }
}

TEST(MotorProtocolHex, ErrorQuotesTokenSafely) {
  auto parsed = parse_hex_bytes(std::string_view("80 \x01\"x", 6));
  ASSERT_FALSE(parsed.ok());
  const std::string& message = parsed.error().message;
  EXPECT_NE(message.find("token 2 \"\\x01\\x22x\""), std::string::npos) << message;
  for (const char c : message) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << static_cast<int>(c);

  parsed = parse_hex_bytes("0123456789abcdefXYZ0123456789");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("\"0123456789abcdef...\""), std::string::npos)
      << parsed.error().message;
}

TEST(MotorProtocolHex, RoundTripsThroughHexString) {
  Bytes all;
  for (int v = 0; v < 256; ++v) all.push_back(static_cast<std::uint8_t>(v));
  const std::string text = detail::hex_string(all);
  EXPECT_EQ(text.substr(0, 11), "00 01 02 03");
  auto parsed = parse_hex_bytes(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, all);
}

TEST(MotorProtocolHex, FeedsTheCustomProtocol) {
  auto parsed = parse_hex_bytes("0x80, 0x00, 0x00, 0x3B, 0x5A");
  ASSERT_TRUE(parsed.ok());
  auto config = config_for(MotorProtocol::custom);
  config.custom_stop = *parsed;
  // The same bytes lifeline's RoboClaw builder makes for Drive Forward M1 at 0.
  const Bytes roboclaw_stop = build_ok(config_for(MotorProtocol::roboclaw_packet)).stop;
  EXPECT_EQ(build_ok(config).stop, Bytes(roboclaw_stop.begin(), roboclaw_stop.begin() + 5));
}

}  // namespace
}  // namespace lifeline::motion
