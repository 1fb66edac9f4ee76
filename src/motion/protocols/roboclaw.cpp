// Basicmicro (formerly Ion Motion Control) RoboClaw Packet Serial.
//
// Source [RC]: Basicmicro, "RoboClaw Series User Manual" (the revision that lists command 14):
//   - Packet Serial, Address (p. 58): packet modes 7-14 select addresses 0x80-0x87.
//   - CRC16 Checksum Calculation (p. 59): C code with polynomial 0x1021, each byte XORed
//     into the high byte, shifting left; every packet ends with the 2-byte CRC16 over
//     address, command and data.
//   - Commands 0 - 7 Compatibility Commands (p. 63): command 0 drives M1 forward, value
//     0..127 with 0 a full stop, sent as address, 0, value, 2 CRC bytes; 4 is the same for M2.
//   - Advanced Packet Serial, 14 - Set Serial Timeout (p. 66-67): the value counts 100 ms
//     steps, 0..255 (0 to 25.5 s), sent as address, 14, value, 2 CRC bytes.
// The manual's C code leaves the CRC's start value and the order of its two bytes on the
// wire unstated. Both come from Basicmicro's own Arduino library (RoboClaw::crc_clear sets
// 0; RoboClaw::write_n writes crc >> 8, then crc): initial value 0, high byte first.
// Older manual revisions (e.g. Ion Motion Control's for the USB RoboClaw 2x120A HV) do not
// list commands 14/15 at all: that firmware has no serial timeout, and lifeline cannot tell,
// because it does not read the controller's 0xFF acknowledgements.
#include <array>
#include <string>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion {
namespace {

constexpr std::uint8_t kMinAddress = 0x80;
constexpr std::uint8_t kMaxAddress = 0x87;
constexpr std::uint8_t kDriveForwardM1 = 0;
constexpr std::uint8_t kDriveForwardM2 = 4;
constexpr std::uint8_t kSetSerialTimeout = 14;
constexpr unsigned kTimeoutUnitMs = 100;
constexpr unsigned kTimeoutMaxUnits = 255;

void append_packet(std::vector<std::uint8_t>& out, std::uint8_t address, std::uint8_t command,
                   std::uint8_t value) {
  const std::array<std::uint8_t, 3> body{address, command, value};
  const std::uint16_t crc = roboclaw_crc16(body);
  out.insert(out.end(), body.begin(), body.end());
  out.push_back(static_cast<std::uint8_t>(crc >> 8U));
  out.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
}

std::string hex_byte(std::uint8_t value) {
  return "0x" + detail::hex_string(std::span<const std::uint8_t>(&value, 1));
}

}  // namespace

std::uint16_t roboclaw_crc16(std::span<const std::uint8_t> bytes) {
  unsigned crc = 0;
  for (const std::uint8_t byte : bytes) {
    crc ^= static_cast<unsigned>(byte) << 8U;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000U) != 0 ? (crc << 1U) ^ 0x1021U : crc << 1U;
      crc &= 0xFFFFU;
    }
  }
  return static_cast<std::uint16_t>(crc);
}

namespace detail {

Expected<MotorFrames> build_roboclaw(const MotorProtocolConfig& config) {
  const std::uint8_t address = config.address;
  if (address < kMinAddress || address > kMaxAddress) {
    return Error{0, "motion.address: " + std::to_string(address) + " (" + hex_byte(address) +
                        ") is not a RoboClaw packet serial address (0x80..0x87, 128..135)"};
  }
  MotorFrames frames;
  append_packet(frames.stop, address, kDriveForwardM1, 0);
  append_packet(frames.stop, address, kDriveForwardM2, 0);
  frames.description = "RoboClaw packet serial, address " + hex_byte(address) +
                       ": Drive Forward M1 and Drive Forward M2 at 0";
  if (config.controller_timeout.count() != 0) {
    auto units =
        timeout_in_units(config.controller_timeout, kTimeoutUnitMs, kTimeoutMaxUnits, "RoboClaw");
    if (!units) return units.error();
    append_packet(frames.arm, address, kSetSerialTimeout, static_cast<std::uint8_t>(*units));
    frames.description += "; serial timeout " + std::to_string(config.controller_timeout.count()) +
                          " ms (command 14, value " + std::to_string(*units) +
                          "; needs firmware that has command 14)";
  }
  return frames;
}

}  // namespace detail
}  // namespace lifeline::motion
