// Motor controller stop frames, byte for byte. Expected bytes are written out by hand from
// the vendor documents cited in docs/motor-protocols.md; RoboClaw CRCs were cross-checked
// against an independent CRC-16/XMODEM implementation (Python's binascii.crc_hqx with
// initial value 0), since the RoboClaw manual gives no worked packet.
#include "motion/protocols/motor_protocol.hpp"

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
using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (const int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

Bytes ascii(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

MotorProtocolConfig config_for(MotorProtocol protocol) {
  MotorProtocolConfig config;
  config.protocol = protocol;
  return config;
}

MotorFrames build_ok(const MotorProtocolConfig& config) {
  auto frames = build_motor_frames(config);
  if (!frames) {
    ADD_FAILURE() << "build failed: " << frames.error().message;
    return {};
  }
  return *frames;
}

// The build fails, the message names `field`, and contains `fragment`.
void expect_error(const MotorProtocolConfig& config, std::string_view field,
                  std::string_view fragment) {
  auto frames = build_motor_frames(config);
  ASSERT_FALSE(frames.ok()) << "expected an error naming " << field;
  const std::string& message = frames.error().message;
  EXPECT_EQ(frames.error().errno_value, 0);
  EXPECT_NE(message.find(field), std::string::npos) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolNames, EveryNameRoundTrips) {
  const std::array<std::pair<std::string_view, MotorProtocol>, 7> names{{
      {"sabertooth-packetized", MotorProtocol::sabertooth_packetized},
      {"sabertooth-simplified", MotorProtocol::sabertooth_simplified},
      {"roboclaw", MotorProtocol::roboclaw_packet},
      {"pololu-compact", MotorProtocol::pololu_compact},
      {"pololu", MotorProtocol::pololu_protocol},
      {"odrive", MotorProtocol::odrive_ascii},
      {"custom", MotorProtocol::custom},
  }};
  for (const auto& [name, protocol] : names) {
    const auto parsed = parse_motor_protocol(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, protocol) << name;
    EXPECT_EQ(motor_protocol_name(protocol), name);
  }
}

TEST(MotorProtocolNames, UnknownNamesAreRejected) {
  for (const std::string_view name :
       {"", "none", "sabertooth", "Roboclaw", "ROBOCLAW", "roboclaw ", " odrive", "pololu_compact",
        "sabertooth_packetized", "odrive-ascii", "custom\n"}) {
    EXPECT_FALSE(parse_motor_protocol(name).has_value()) << "\"" << name << "\"";
  }
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolChecksum, SabertoothManualWorkedExample) {
  // Sabertooth 2x12 User's Guide, Packet Overview, Figures 7.1/7.2 and "Checksum": address
  // 130, command 0 (drive forward), data 64: 130+0+64 = 194 = 0b11000010, masked with
  // 0b01111111 gives 0b01000010 = 66.
  EXPECT_EQ(sabertooth_checksum(130, 0, 64), 66);
}

TEST(MotorProtocolChecksum, SabertoothMasksToSevenBits) {
  EXPECT_EQ(sabertooth_checksum(128, 0, 0), 0x00);
  EXPECT_EQ(sabertooth_checksum(128, 4, 0), 0x04);
  EXPECT_EQ(sabertooth_checksum(135, 0, 0), 0x07);
  EXPECT_EQ(sabertooth_checksum(128, 14, 5), 0x13);     // 147 & 127 = 19
  EXPECT_EQ(sabertooth_checksum(135, 127, 127), 0x05);  // 389 & 127 = 5 (wraps past 256)
  EXPECT_EQ(sabertooth_checksum(255, 255, 255), 0x7D);  // 765 & 127 = 125
  for (int a = 128; a <= 135; ++a) {
    for (int c = 0; c < 128; ++c) {
      EXPECT_LE(sabertooth_checksum(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(c), 0),
                0x7F);
    }
  }
}

TEST(MotorProtocolChecksum, RoboclawCrcIsCrc16Xmodem) {
  // CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no final XOR) check value.
  const std::string_view check = "123456789";
  const Bytes data(check.begin(), check.end());
  EXPECT_EQ(roboclaw_crc16(data), 0x31C3);
  EXPECT_EQ(roboclaw_crc16({}), 0x0000);
  EXPECT_EQ(roboclaw_crc16(bytes({0x80, 0x00, 0x00})), 0x3B5A);
  EXPECT_EQ(roboclaw_crc16(bytes({0x80, 0x04, 0x00})), 0xF79E);
  EXPECT_EQ(roboclaw_crc16(bytes({0x80, 0x0E, 0x05})), 0x48F0);
}

TEST(MotorProtocolChecksum, RoboclawCrcOfMessagePlusCrcIsZero) {
  // A CRC with no reflection and no final XOR leaves 0 over message + CRC (MSB first):
  // the property the manual's "CRC16 Checksum Calculation for Received data" relies on.
  Bytes frame = bytes({0x87, 0x04, 0x00});
  const std::uint16_t crc = roboclaw_crc16(frame);
  frame.push_back(static_cast<std::uint8_t>(crc >> 8U));
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  EXPECT_EQ(roboclaw_crc16(frame), 0x0000);
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolSabertooth, PacketizedDefaultAddress) {
  const MotorFrames frames = build_ok(config_for(MotorProtocol::sabertooth_packetized));
  // [128, 0 drive forward motor 1, speed 0, checksum 0], [128, 4 motor 2, 0, checksum 4].
  EXPECT_EQ(frames.stop, bytes({0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04}));
  EXPECT_TRUE(frames.arm.empty());
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description,
            "Sabertooth packetized, address 128: motor 1 and motor 2 forward at 0");
}

TEST(MotorProtocolSabertooth, PacketizedManualExampleAddress) {
  auto config = config_for(MotorProtocol::sabertooth_packetized);
  config.address = 130;  // the guide's example address
  EXPECT_EQ(build_ok(config).stop, bytes({0x82, 0x00, 0x00, 0x02, 0x82, 0x04, 0x00, 0x06}));
  config.address = 135;
  EXPECT_EQ(build_ok(config).stop, bytes({0x87, 0x00, 0x00, 0x07, 0x87, 0x04, 0x00, 0x0B}));
}

TEST(MotorProtocolSabertooth, PacketizedAddressOutOfRange) {
  auto config = config_for(MotorProtocol::sabertooth_packetized);
  for (const int address : {0, 1, 127, 136, 255}) {
    config.address = static_cast<std::uint8_t>(address);
    expect_error(config, "motion.address", "128..135");
  }
}

TEST(MotorProtocolSabertooth, PacketizedSerialTimeoutCommand14) {
  auto config = config_for(MotorProtocol::sabertooth_packetized);
  config.controller_timeout = milliseconds(500);  // 5 units of 100 ms
  MotorFrames frames = build_ok(config);
  EXPECT_EQ(frames.arm, bytes({0x80, 0x0E, 0x05, 0x13}));
  EXPECT_EQ(frames.stop, bytes({0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04}));
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description,
            "Sabertooth packetized, address 128: motor 1 and motor 2 forward at 0; serial "
            "timeout 500 ms (command 14, data 5)");

  // The guide's own example: "a command of 10 would make a timeout of 1000ms".
  config.controller_timeout = milliseconds(1000);
  EXPECT_EQ(build_ok(config).arm, bytes({0x80, 0x0E, 0x0A, 0x18}));
  config.controller_timeout = milliseconds(100);
  EXPECT_EQ(build_ok(config).arm, bytes({0x80, 0x0E, 0x01, 0x0F}));
  config.controller_timeout = milliseconds(12700);  // data byte maximum 127
  EXPECT_EQ(build_ok(config).arm, bytes({0x80, 0x0E, 0x7F, 0x0D}));
  config.address = 133;
  config.controller_timeout = milliseconds(2000);
  EXPECT_EQ(build_ok(config).arm, bytes({0x85, 0x0E, 0x14, 0x27}));
}

TEST(MotorProtocolSabertooth, PacketizedTimeoutNotRepresentable) {
  auto config = config_for(MotorProtocol::sabertooth_packetized);
  config.controller_timeout = milliseconds(12800);
  expect_error(config, "motion.controller_timeout", "maximum of 12700 ms");
  config.controller_timeout = milliseconds(250);
  expect_error(config, "motion.controller_timeout", "not a multiple of 100 ms");
  expect_error(config, "motion.controller_timeout", "use 200 or 300 ms");
  config.controller_timeout = milliseconds(50);
  expect_error(config, "motion.controller_timeout", "use 100 ms");
  config.controller_timeout = milliseconds(-100);
  expect_error(config, "motion.controller_timeout", "negative");
}

TEST(MotorProtocolSabertooth, SimplifiedStopsBothMotorsWithByteZero) {
  auto config = config_for(MotorProtocol::sabertooth_simplified);
  for (const int address : {0, 128, 255}) {  // simplified serial has no address byte
    config.address = static_cast<std::uint8_t>(address);
    const MotorFrames frames = build_ok(config);
    EXPECT_EQ(frames.stop, bytes({0x00}));
    EXPECT_TRUE(frames.arm.empty());
    EXPECT_TRUE(frames.keepalive.empty());
    EXPECT_EQ(frames.description,
              "Sabertooth simplified serial: byte 0x00 (shut down both motors)");
  }
}

TEST(MotorProtocolSabertooth, SimplifiedHasNoControllerTimeout) {
  auto config = config_for(MotorProtocol::sabertooth_simplified);
  config.controller_timeout = milliseconds(1000);
  expect_error(config, "motion.controller_timeout", "no serial timeout");
  expect_error(config, "motion.controller_timeout", "controller_timeout = 0");
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolRoboclaw, DefaultAddressStopFrames) {
  const MotorFrames frames = build_ok(config_for(MotorProtocol::roboclaw_packet));
  // [0x80, 0 Drive Forward M1, 0, CRC 0x3B5A MSB first], [0x80, 4 Drive Forward M2, 0, 0xF79E].
  EXPECT_EQ(frames.stop, bytes({0x80, 0x00, 0x00, 0x3B, 0x5A, 0x80, 0x04, 0x00, 0xF7, 0x9E}));
  EXPECT_TRUE(frames.arm.empty());
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description,
            "RoboClaw packet serial, address 0x80: Drive Forward M1 and Drive Forward M2 at 0");
}

TEST(MotorProtocolRoboclaw, OtherAddresses) {
  auto config = config_for(MotorProtocol::roboclaw_packet);
  config.address = 0x81;
  EXPECT_EQ(build_ok(config).stop,
            bytes({0x81, 0x00, 0x00, 0x0C, 0x6A, 0x81, 0x04, 0x00, 0xC0, 0xAE}));
  config.address = 0x87;
  EXPECT_EQ(build_ok(config).stop,
            bytes({0x87, 0x00, 0x00, 0xBE, 0xCA, 0x87, 0x04, 0x00, 0x72, 0x0E}));
}

TEST(MotorProtocolRoboclaw, EveryPacketCarriesItsOwnCrcMsbFirst) {
  auto config = config_for(MotorProtocol::roboclaw_packet);
  config.controller_timeout = milliseconds(1500);
  for (int address = 0x80; address <= 0x87; ++address) {
    config.address = static_cast<std::uint8_t>(address);
    const MotorFrames frames = build_ok(config);
    ASSERT_EQ(frames.stop.size(), 10U);
    ASSERT_EQ(frames.arm.size(), 5U);
    for (const Bytes* frame : {&frames.stop, &frames.arm}) {
      for (std::size_t at = 0; at < frame->size(); at += 5) {
        const std::uint16_t crc = roboclaw_crc16(std::span(*frame).subspan(at, 3));
        EXPECT_EQ((*frame)[at], address);
        EXPECT_EQ((*frame)[at + 3], static_cast<std::uint8_t>(crc >> 8U));
        EXPECT_EQ((*frame)[at + 4], static_cast<std::uint8_t>(crc & 0xFFU));
      }
    }
  }
}

TEST(MotorProtocolRoboclaw, AddressOutOfRange) {
  auto config = config_for(MotorProtocol::roboclaw_packet);
  for (const int address : {0, 0x7F, 0x88, 0xFF}) {
    config.address = static_cast<std::uint8_t>(address);
    expect_error(config, "motion.address", "0x80..0x87");
  }
}

TEST(MotorProtocolRoboclaw, SetSerialTimeoutCommand14) {
  auto config = config_for(MotorProtocol::roboclaw_packet);
  config.controller_timeout = milliseconds(500);
  MotorFrames frames = build_ok(config);
  EXPECT_EQ(frames.arm, bytes({0x80, 0x0E, 0x05, 0x48, 0xF0}));
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description,
            "RoboClaw packet serial, address 0x80: Drive Forward M1 and Drive Forward M2 at 0; "
            "serial timeout 500 ms (command 14, value 5; needs firmware that has command 14)");
  config.controller_timeout = milliseconds(100);
  EXPECT_EQ(build_ok(config).arm, bytes({0x80, 0x0E, 0x01, 0x08, 0x74}));
  config.controller_timeout = milliseconds(25500);  // "0 to 25.5 seconds (0 to 255 ...)"
  EXPECT_EQ(build_ok(config).arm, bytes({0x80, 0x0E, 0xFF, 0x06, 0xA5}));
}

TEST(MotorProtocolRoboclaw, TimeoutNotRepresentable) {
  auto config = config_for(MotorProtocol::roboclaw_packet);
  config.controller_timeout = milliseconds(25600);
  expect_error(config, "motion.controller_timeout", "maximum of 25500 ms");
  config.controller_timeout = milliseconds(150);
  expect_error(config, "motion.controller_timeout", "not a multiple of 100 ms");
  config.controller_timeout = milliseconds(-1);
  expect_error(config, "motion.controller_timeout", "negative");
}

// ---------------------------------------------------------------------------------------
TEST(MotorProtocolPololu, CompactStopMotor) {
  auto config = config_for(MotorProtocol::pololu_compact);
  for (const int address : {0, 13, 128, 255}) {  // the compact protocol has no device number
    config.address = static_cast<std::uint8_t>(address);
    const MotorFrames frames = build_ok(config);
    EXPECT_EQ(frames.stop, bytes({0xE0}));
    EXPECT_TRUE(frames.arm.empty());
    EXPECT_TRUE(frames.keepalive.empty());
    EXPECT_EQ(frames.description, "Pololu SMC compact protocol: Stop Motor (0xE0)");
  }
}

TEST(MotorProtocolPololu, PololuProtocolStopMotor) {
  auto config = config_for(MotorProtocol::pololu_protocol);
  config.address = 13;
  MotorFrames frames = build_ok(config);
  EXPECT_EQ(frames.stop, bytes({0xAA, 0x0D, 0x60}));
  EXPECT_TRUE(frames.arm.empty());
  EXPECT_TRUE(frames.keepalive.empty());
  EXPECT_EQ(frames.description,
            "Pololu SMC Pololu protocol, device 13: Stop Motor (0xAA, device, 0x60)");
  config.address = 0;
  EXPECT_EQ(build_ok(config).stop, bytes({0xAA, 0x00, 0x60}));
  config.address = 127;
  EXPECT_EQ(build_ok(config).stop, bytes({0xAA, 0x7F, 0x60}));
}

TEST(MotorProtocolPololu, DeviceNumberOutOfRange) {
  auto config = config_for(MotorProtocol::pololu_protocol);  // default address 128
  expect_error(config, "motion.address", "0..127");
  config.address = 255;
  expect_error(config, "motion.address", "Pololu device number");
}

TEST(MotorProtocolPololu, CommandTimeoutIsNotSettableOverSerial) {
  for (const MotorProtocol protocol :
       {MotorProtocol::pololu_compact, MotorProtocol::pololu_protocol}) {
    auto config = config_for(protocol);
    config.address = 13;
    config.controller_timeout = milliseconds(1000);
    expect_error(config, "motion.controller_timeout", "no serial timeout");
    expect_error(config, "motion.controller_timeout", "Advanced Settings");
  }
}

// ---------------------------------------------------------------------------------------
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
