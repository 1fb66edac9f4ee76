// Motor controller stop frames, built once at config load so the stop path only writes
// bytes that already exist: no allocation, no formatting, no checksum arithmetic.
//
// Every byte here follows the vendor's published protocol; docs/motor-protocols.md lists
// each frame in hex with the document and section it comes from, and what could not be
// verified. Where a protocol cannot configure the controller's own serial timeout (the
// "second layer" that stops the motors even if lifeline itself dies) but one is
// configured, building fails: a robot owner must not believe a second layer exists when
// it does not.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lifeline/expected.hpp"

namespace lifeline::motion {

enum class MotorProtocol {
  sabertooth_packetized,  // Dimension Engineering Sabertooth/SyRen Packetized Serial
  sabertooth_simplified,  // Dimension Engineering Sabertooth Simplified Serial (one byte)
  roboclaw_packet,        // Basicmicro / Ion Motion Control RoboClaw Packet Serial (CRC16)
  pololu_compact,         // Pololu Simple Motor Controller, Compact protocol
  pololu_protocol,        // Pololu Simple Motor Controller, Pololu protocol (device number)
  odrive_ascii,           // ODrive firmware 0.5.x ASCII protocol
  custom,                 // a stop frame given as hex bytes in the config
};

// Names as written in the config: "sabertooth-packetized", "sabertooth-simplified",
// "roboclaw", "pololu-compact", "pololu", "odrive", "custom". Exact, case-sensitive.
std::optional<MotorProtocol> parse_motor_protocol(std::string_view name);
std::string_view motor_protocol_name(MotorProtocol protocol);

enum class OdriveStopMode {
  velocity_zero,  // "v <axis> 0 0": velocity control at 0 (motor held, actively braked)
  idle,           // "w axis<N>.requested_state 1": AXIS_STATE_IDLE (PWM off, coasts)
  both,           // velocity 0 on every axis, then IDLE on every axis
};

struct MotorProtocolConfig {
  MotorProtocol protocol = MotorProtocol::custom;
  std::uint8_t address = 128;  // Sabertooth 128..135, RoboClaw 0x80..0x87, Pololu device 0..127
  std::vector<std::uint8_t> odrive_axes{0, 1};
  OdriveStopMode odrive_stop = OdriveStopMode::both;
  std::vector<std::uint8_t> custom_stop;            // custom: the stop frame
  std::chrono::milliseconds controller_timeout{0};  // 0 = don't configure the controller's own
                                                    // serial timeout
};

struct MotorFrames {
  std::vector<std::uint8_t> stop;       // written on every stop and repeated while stopped
  std::vector<std::uint8_t> arm;        // written once when motion is (re-)armed: sets the
                                        // controller's own serial timeout/watchdog if
                                        // configured and supported; may be empty
  std::vector<std::uint8_t> keepalive;  // written periodically while armed where the protocol
                                        // needs feeding (ODrive watchdog feed); may be empty
  std::string description;  // e.g. "Sabertooth packetized, address 128: motor 1 and motor 2
                            // forward at 0"
};

// Validates (address ranges, timeout representable in the protocol's units, custom frame
// 1..64 bytes, ODrive axes) and builds. Each Error message names the offending field as
// "motion.<field>" and says what would be accepted.
Expected<MotorFrames> build_motor_frames(const MotorProtocolConfig& config);

// RoboClaw packet CRC: CRC16-CCITT, polynomial 0x1021, initial value 0, no reflection, no
// final XOR (the CRC-16/XMODEM parameters: "123456789" gives 0x31C3).
std::uint16_t roboclaw_crc16(std::span<const std::uint8_t> bytes);

// Sabertooth packetized checksum: (address + command + data) & 0x7F.
std::uint8_t sabertooth_checksum(std::uint8_t address, std::uint8_t command, std::uint8_t data);

// Hex bytes as written in a config: separated by whitespace and/or single commas, each
// byte as 1-2 hex digits with an optional 0x/0X prefix ("80 00 00 00", "0x80,0x00",
// "0x80, 0x00"); an unprefixed run of an even number of digits is read as several bytes
// ("80000000"). At least one byte. The Error says which token is wrong and why.
Expected<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view text);

// Limits, exposed for tests and docs.
inline constexpr std::size_t kCustomFrameMaxBytes = 64;

namespace detail {

// One builder per protocol (one .cpp each); build_motor_frames() dispatches.
Expected<MotorFrames> build_sabertooth_packetized(const MotorProtocolConfig& config);
Expected<MotorFrames> build_sabertooth_simplified(const MotorProtocolConfig& config);
Expected<MotorFrames> build_roboclaw(const MotorProtocolConfig& config);
Expected<MotorFrames> build_pololu(const MotorProtocolConfig& config);  // both Pololu variants
Expected<MotorFrames> build_odrive(const MotorProtocolConfig& config);
Expected<MotorFrames> build_custom(const MotorProtocolConfig& config);

// The Error for a protocol that has no controller timeout lifeline can configure.
Error no_controller_timeout(std::string_view protocol_label, std::string_view what_instead);

// controller_timeout as a count of `unit_ms` units in 1..max_units; an exact multiple of
// the unit is required (rounding either way would silently change a safety timeout).
Expected<unsigned> timeout_in_units(std::chrono::milliseconds timeout, unsigned unit_ms,
                                    unsigned max_units, std::string_view protocol_label);

// "80 00 00 00": for descriptions and error messages.
std::string hex_string(std::span<const std::uint8_t> bytes);

}  // namespace detail
}  // namespace lifeline::motion
