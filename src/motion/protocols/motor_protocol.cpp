// Protocol names, the build dispatcher, shared validation, and the config hex parser.
// The per-protocol frames are in sabertooth.cpp, roboclaw.cpp, pololu_smc.cpp, odrive.cpp
// and custom.cpp; docs/motor-protocols.md cites the vendor document behind each byte.
#include "motion/protocols/motor_protocol.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace lifeline::motion {
namespace {

struct NamedProtocol {
  MotorProtocol protocol;
  std::string_view name;
};

constexpr std::array<NamedProtocol, 7> kNames{{
    {MotorProtocol::sabertooth_packetized, "sabertooth-packetized"},
    {MotorProtocol::sabertooth_simplified, "sabertooth-simplified"},
    {MotorProtocol::roboclaw_packet, "roboclaw"},
    {MotorProtocol::pololu_compact, "pololu-compact"},
    {MotorProtocol::pololu_protocol, "pololu"},
    {MotorProtocol::odrive_ascii, "odrive"},
    {MotorProtocol::custom, "custom"},
}};

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A token from the input, quoted for an error message: printable ASCII as is, anything
// else as \xNN, long tokens cut, so no input can forge or split a message line.
std::string quoted(std::string_view token) {
  constexpr std::size_t kMaxShown = 16;
  std::string out = "\"";
  for (std::size_t i = 0; i < token.size() && i < kMaxShown; ++i) {
    const auto byte = static_cast<unsigned char>(token[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '"' && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += kHexDigits[byte >> 4U];
      out += kHexDigits[byte & 0x0FU];
    }
  }
  if (token.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

Error hex_error(std::size_t token_number, std::string_view token, const std::string& why) {
  return Error{
      0, "hex bytes: token " + std::to_string(token_number) + " " + quoted(token) + ": " + why};
}

// Appends the bytes of one token ("80", "0x80", "8", "80000000") or says why it is not hex.
std::optional<Error> parse_token(std::string_view token, std::size_t token_number,
                                 std::vector<std::uint8_t>& out) {
  std::string_view digits = token;
  const bool prefixed =
      token.size() >= 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X');
  if (prefixed) digits.remove_prefix(2);
  for (const char c : digits) {
    if (hex_value(c) < 0) {
      return hex_error(token_number, token, "is not hexadecimal (digits 0-9, a-f, A-F)");
    }
  }
  if (digits.empty()) return hex_error(token_number, token, "has no hex digits after 0x");
  if (prefixed && digits.size() > 2) {
    return hex_error(token_number, token,
                     "has " + std::to_string(digits.size()) +
                         " hex digits after 0x; a byte is 1 or 2 (write 0x12 0x34 for two)");
  }
  if (digits.size() <= 2) {
    int value = 0;
    for (const char c : digits) value = value * 16 + hex_value(c);
    out.push_back(static_cast<std::uint8_t>(value));
    return std::nullopt;
  }
  if (digits.size() % 2 != 0) {
    return hex_error(token_number, token,
                     "has an odd number of hex digits (" + std::to_string(digits.size()) +
                         "); a run of bytes needs two digits each");
  }
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(hex_value(digits[i]) * 16 + hex_value(digits[i + 1])));
  }
  return std::nullopt;
}

}  // namespace

std::optional<MotorProtocol> parse_motor_protocol(std::string_view name) {
  for (const auto& entry : kNames) {
    if (entry.name == name) return entry.protocol;
  }
  return std::nullopt;
}

std::string_view motor_protocol_name(MotorProtocol protocol) {
  for (const auto& entry : kNames) {
    if (entry.protocol == protocol) return entry.name;
  }
  return "unknown";
}

Expected<MotorFrames> build_motor_frames(const MotorProtocolConfig& config) {
  if (config.controller_timeout.count() < 0) {
    return Error{0,
                 "motion.controller_timeout: " + std::to_string(config.controller_timeout.count()) +
                     " ms is negative; use 0 to leave the controller's own timeout alone"};
  }
  switch (config.protocol) {
    case MotorProtocol::sabertooth_packetized:
      return detail::build_sabertooth_packetized(config);
    case MotorProtocol::sabertooth_simplified:
      return detail::build_sabertooth_simplified(config);
    case MotorProtocol::roboclaw_packet:
      return detail::build_roboclaw(config);
    case MotorProtocol::pololu_compact:
    case MotorProtocol::pololu_protocol:
      return detail::build_pololu(config);
    case MotorProtocol::odrive_ascii:
      return detail::build_odrive(config);
    case MotorProtocol::custom:
      return detail::build_custom(config);
  }
  return Error{0, "motion.protocol: unknown protocol value " +
                      std::to_string(static_cast<int>(config.protocol))};
}

Expected<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::size_t token_number = 0;
  bool token_since_comma = false;  // a comma must follow a byte, not another comma
  bool pending_comma = false;      // the last separator seen was a comma
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == ',') {
      if (!token_since_comma) {
        return Error{0, "hex bytes: a comma at offset " + std::to_string(i) +
                            " has no byte before it (empty entry)"};
      }
      token_since_comma = false;
      pending_comma = true;
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_space(text[end]) && text[end] != ',') ++end;
    ++token_number;
    if (auto error = parse_token(text.substr(i, end - i), token_number, out)) {
      return std::move(*error);
    }
    token_since_comma = true;
    pending_comma = false;
    i = end;
  }
  if (pending_comma) return Error{0, "hex bytes: a trailing comma has no byte after it"};
  if (out.empty()) return Error{0, "hex bytes: no bytes given (expected e.g. \"80 00 00 00\")"};
  return out;
}

namespace detail {

Error no_controller_timeout(std::string_view protocol_label, std::string_view what_instead) {
  return Error{0,
               "motion.controller_timeout: " + std::string(protocol_label) +
                   " has no serial timeout lifeline can configure over this protocol, so "
                   "no second layer would exist; set controller_timeout = 0" +
                   (what_instead.empty() ? std::string() : " (" + std::string(what_instead) + ")")};
}

Expected<unsigned> timeout_in_units(std::chrono::milliseconds timeout, unsigned unit_ms,
                                    unsigned max_units, std::string_view protocol_label) {
  const long long ms = timeout.count();
  const long long unit = unit_ms;
  if (ms <= 0) {
    return Error{0, "motion.controller_timeout: " + std::to_string(ms) +
                        " ms is not a timeout (internal: 0 means none and is handled earlier)"};
  }
  if (ms % unit != 0) {
    const long long below = ms / unit * unit;
    return Error{0, "motion.controller_timeout: " + std::to_string(ms) +
                        " ms is not a multiple of " + std::to_string(unit) + " ms, the " +
                        std::string(protocol_label) + " serial timeout unit; use " +
                        (below > 0 ? std::to_string(below) + " or " : std::string()) +
                        std::to_string(below + unit) + " ms"};
  }
  const long long units = ms / unit;
  if (units > static_cast<long long>(max_units)) {
    return Error{0, "motion.controller_timeout: " + std::to_string(ms) + " ms is above the " +
                        std::string(protocol_label) + " maximum of " +
                        std::to_string(static_cast<long long>(max_units) * unit) + " ms (" +
                        std::to_string(max_units) + " x " + std::to_string(unit) + " ms)"};
  }
  return static_cast<unsigned>(units);
}

std::string hex_string(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const std::uint8_t byte : bytes) {
    if (!out.empty()) out += ' ';
    out += kHexDigits[byte >> 4U];
    out += kHexDigits[byte & 0x0FU];
  }
  return out;
}

}  // namespace detail
}  // namespace lifeline::motion
