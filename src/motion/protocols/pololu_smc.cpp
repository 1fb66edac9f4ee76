// Pololu Simple Motor Controller (original SMC 18v7/18v15/... and SMC G2): binary serial
// commands in the Compact and Pololu protocols.
//
// Sources:
//   [SMC] Pololu, "Pololu Simple Motor Controller User's Guide" (0J44):
//     - 6.2 Binary Commands: command bytes 0x80..0xFF, data bytes 0x00..0x7F; Compact
//       protocol is the command byte alone; the Pololu protocol is 0xAA, device number,
//       then the command with its top bit cleared (6.2.1 lists both forms of every command).
//     - 6.2.1 Binary Command Reference, Stop Motor (accepted in any input mode): Compact
//       0xE0 (224); Pololu 0xAA (170), device number, 0x60 (96). It sets the target speed
//       to zero and, with Safe Start enabled, makes a safe-start violation possible, which
//       the app clears with Exit Safe-Start. (Whether it honours the deceleration limits was
//       cut off in the copy we read; Motor Brake, 0x92, documents that it ignores them.)
//     - 3.4 Errors, Command timeout: disabled by default; enabled by a non-zero Command
//       Timeout in the Advanced Settings tab of the Simple Motor Control Center.
//   [SMCG2] Pololu, "Pololu Simple Motor Controller G2 User's Guide" (0J77), 6.2.1: the same
//     command encodings.
// The command timeout is a stored setting written with the Control Center; none of the 6.2.1
// commands we read sets it (Set Motor Limit covers only speed, acceleration, deceleration and
// brake duration), so lifeline cannot configure it and refuses a controller_timeout rather
// than pretend. Also unverified from here: a controller with CRC
// mode enabled (6.5) rejects these frames, which carry no CRC byte.
#include <string>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion {
namespace {

constexpr std::uint8_t kStopMotorCompact = 0xE0;
constexpr std::uint8_t kPololuStart = 0xAA;
constexpr std::uint8_t kMaxDeviceNumber = 127;  // a data byte

}  // namespace

namespace detail {

Expected<MotorFrames> build_pololu(const MotorProtocolConfig& config) {
  const bool compact = config.protocol == MotorProtocol::pololu_compact;
  const std::string_view label =
      compact ? "Pololu SMC compact protocol" : "Pololu SMC Pololu protocol";
  if (config.controller_timeout.count() != 0) {
    return no_controller_timeout(
        label,
        "the Simple Motor Controller's Command Timeout is set in the Simple Motor Control "
        "Center, Advanced Settings tab; set it there for a second layer");
  }
  MotorFrames frames;
  if (compact) {
    frames.stop.push_back(kStopMotorCompact);
    frames.description = "Pololu SMC compact protocol: Stop Motor (0xE0)";
    return frames;
  }
  if (config.address > kMaxDeviceNumber) {
    return Error{0, "motion.address: " + std::to_string(config.address) +
                        " is not a Pololu device number (0..127)"};
  }
  frames.stop = {kPololuStart, config.address,
                 static_cast<std::uint8_t>(kStopMotorCompact & 0x7FU)};
  frames.description = "Pololu SMC Pololu protocol, device " + std::to_string(config.address) +
                       ": Stop Motor (0xAA, device, 0x60)";
  return frames;
}

}  // namespace detail
}  // namespace lifeline::motion
