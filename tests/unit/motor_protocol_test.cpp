// Motor controller stop frames, byte for byte. Expected bytes are written out by hand from
// the vendor documents cited in docs/motor-protocols.md; RoboClaw CRCs were cross-checked
// against an independent CRC-16/XMODEM implementation (Python's binascii.crc_hqx with
// initial value 0), since the RoboClaw manual gives no worked packet.
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
}  // namespace
}  // namespace lifeline::motion
