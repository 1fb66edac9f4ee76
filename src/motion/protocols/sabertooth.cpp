// Dimension Engineering Sabertooth: Packetized Serial and Simplified Serial.
//
// Source [ST2x12]: Dimension Engineering, "Sabertooth 2x12 User's Guide":
//   - Mode 3, Simplified Serial (p. 13): bytes 1-127 drive motor 1, 128-255 motor 2;
//     byte 0x00 is the special case that shuts down both motors.
//   - Mode 4, Packetized Serial, Packet Overview (p. 15): address byte, command byte, data
//     byte, seven-bit checksum; address bytes are above 127, all later bytes 127 or lower.
//     Figures 7.1/7.2: address 130, command 0, data 64 gives checksum 66.
//   - Commands (p. 17): 0 drive forward motor 1, 1 drive backwards motor 1, 4 drive forward
//     motor 2, 5 drive backwards motor 2; data 0 (off) to 127 (full). (Commands 4
//     and 5 are cut off the page text we could read; they were checked against a
//     transcription of the same command list and the RoboClaw manual's Sabertooth
//     compatibility table, which numbers them identically.)
//   - Setting Commands, 14: Serial Timeout (p. 19): off by default; data 0 disables it; each
//     unit is 100 ms (10 = 1000 ms); not kept across a power cycle.
//   - Checksum (p. 20): (address + command + data) & 0b01111111.
// Addresses 128-135: the DIP switch wizard for packetized serial lists exactly these.
// Not verified from a vendor document: that the Sabertooth 2x32 honours legacy command 14
// (its data sheet says legacy packet serial is documented in a separate application note we
// could not read), and that the 2x25 V1 firmware has command 14 at all.
#include <string>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion {
namespace {

constexpr std::uint8_t kMinAddress = 128;
constexpr std::uint8_t kMaxAddress = 135;
constexpr std::uint8_t kDriveForwardMotor1 = 0;
constexpr std::uint8_t kDriveForwardMotor2 = 4;
constexpr std::uint8_t kSerialTimeout = 14;
constexpr unsigned kTimeoutUnitMs = 100;
constexpr unsigned kTimeoutMaxUnits = 127;  // a data byte is 0..127
constexpr std::uint8_t kSimplifiedStopBoth = 0x00;

void append_packet(std::vector<std::uint8_t>& out, std::uint8_t address, std::uint8_t command,
                   std::uint8_t data) {
  out.push_back(address);
  out.push_back(command);
  out.push_back(data);
  out.push_back(sabertooth_checksum(address, command, data));
}

}  // namespace

std::uint8_t sabertooth_checksum(std::uint8_t address, std::uint8_t command, std::uint8_t data) {
  // The guide adds as unsigned 8-bit integers and masks; the mask makes the 8-bit wrap moot.
  const unsigned sum = static_cast<unsigned>(address) + command + data;
  return static_cast<std::uint8_t>(sum & 0x7FU);
}

namespace detail {

Expected<MotorFrames> build_sabertooth_packetized(const MotorProtocolConfig& config) {
  const std::uint8_t address = config.address;
  if (address < kMinAddress || address > kMaxAddress) {
    return Error{0, "motion.address: " + std::to_string(address) +
                        " is not a Sabertooth packetized serial address (128..135)"};
  }
  MotorFrames frames;
  append_packet(frames.stop, address, kDriveForwardMotor1, 0);
  append_packet(frames.stop, address, kDriveForwardMotor2, 0);
  frames.description = "Sabertooth packetized, address " + std::to_string(address) +
                       ": motor 1 and motor 2 forward at 0";
  if (config.controller_timeout.count() != 0) {
    auto units = timeout_in_units(config.controller_timeout, kTimeoutUnitMs, kTimeoutMaxUnits,
                                  "Sabertooth packetized");
    if (!units) return units.error();
    append_packet(frames.arm, address, kSerialTimeout, static_cast<std::uint8_t>(*units));
    frames.description += "; serial timeout " + std::to_string(config.controller_timeout.count()) +
                          " ms (command 14, data " + std::to_string(*units) + ")";
  }
  return frames;
}

Expected<MotorFrames> build_sabertooth_simplified(const MotorProtocolConfig& config) {
  if (config.controller_timeout.count() != 0) {
    return no_controller_timeout(
        "Sabertooth simplified serial",
        "simplified serial is one byte per command with no settings; packetized serial has "
        "command 14, and a Sabertooth 2x32's timeout can be set in DEScribe");
  }
  MotorFrames frames;
  frames.stop.push_back(kSimplifiedStopBoth);
  frames.description = "Sabertooth simplified serial: byte 0x00 (shut down both motors)";
  return frames;
}

}  // namespace detail
}  // namespace lifeline::motion
