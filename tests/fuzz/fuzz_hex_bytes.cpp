// Any bytes, as a config's hex text and as motor protocol config fields: parsing and
// building must never crash, leak or throw; a rejection names the field and is one
// printable line; an accepted config yields frames whose checksums are right.
//
// Input layout: [protocol] [address] [odrive_stop] [axis count] [axes...] [timeout: 4 bytes,
// signed, little-endian ms] [rest: hex text, also the raw custom frame if it is not hex].
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "motion/protocols/motor_protocol.hpp"

namespace {

using lifeline::motion::MotorFrames;
using lifeline::motion::MotorProtocol;
using lifeline::motion::MotorProtocolConfig;
using lifeline::motion::OdriveStopMode;

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::int32_t int32() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(byte()) << (8 * i);
    std::int32_t out = 0;
    std::memcpy(&out, &value, sizeof(out));
    return out;
  }
  std::span<const std::uint8_t> rest() const {
    return at_ < size_ ? std::span<const std::uint8_t>(data_ + at_, size_ - at_)
                       : std::span<const std::uint8_t>();
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

void check_line(const std::string& text, std::string_view prefix) {
  if (text.empty() || !text.starts_with(prefix)) std::abort();
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) std::abort();
  }
}

void check_hex(std::span<const std::uint8_t> raw) {
  const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
  auto parsed = lifeline::motion::parse_hex_bytes(text);
  if (!parsed) {
    if (parsed.error().errno_value != 0) std::abort();
    check_line(parsed.error().message, "hex bytes: ");
    return;
  }
  if (parsed->empty()) std::abort();
  auto again = lifeline::motion::parse_hex_bytes(lifeline::motion::detail::hex_string(*parsed));
  if (!again || *again != *parsed) std::abort();
}

bool has_timeout_command(MotorProtocol protocol) {
  return protocol == MotorProtocol::sabertooth_packetized ||
         protocol == MotorProtocol::roboclaw_packet || protocol == MotorProtocol::odrive_ascii;
}

void check_frames(const MotorProtocolConfig& config, const MotorFrames& frames) {
  if (frames.stop.empty()) std::abort();
  check_line(frames.description, "");
  const bool timeout = config.controller_timeout.count() != 0;
  if (timeout && !has_timeout_command(config.protocol)) std::abort();  // must have been refused
  if (frames.arm.empty() == timeout) std::abort();
  if (!frames.keepalive.empty() != (timeout && config.protocol == MotorProtocol::odrive_ascii)) {
    std::abort();
  }
  switch (config.protocol) {
    case MotorProtocol::sabertooth_packetized:
      for (const auto* frame : {&frames.stop, &frames.arm}) {
        if (frame->size() % 4 != 0) std::abort();
        for (std::size_t i = 0; i < frame->size(); i += 4) {
          const auto& f = *frame;
          if (f[i] != config.address || f[i + 1] > 0x7F || f[i + 2] > 0x7F) std::abort();
          if (f[i + 3] != lifeline::motion::sabertooth_checksum(f[i], f[i + 1], f[i + 2])) {
            std::abort();
          }
        }
      }
      break;
    case MotorProtocol::roboclaw_packet:
      for (const auto* frame : {&frames.stop, &frames.arm}) {
        if (frame->size() % 5 != 0) std::abort();
        for (std::size_t i = 0; i < frame->size(); i += 5) {
          if (lifeline::motion::roboclaw_crc16(std::span(*frame).subspan(i, 5)) != 0) std::abort();
        }
      }
      break;
    case MotorProtocol::custom:
      if (frames.stop != config.custom_stop) std::abort();
      break;
    case MotorProtocol::odrive_ascii:
      for (const auto* frame : {&frames.stop, &frames.arm, &frames.keepalive}) {
        if (!frame->empty() && frame->back() != '\n') std::abort();
      }
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  MotorProtocolConfig config;
  const std::uint8_t protocol = input.byte();
  // 0..6 are the protocols; anything else reaches the "unknown protocol" path now and then.
  config.protocol = static_cast<MotorProtocol>(protocol < 0xF0 ? protocol % 7 : protocol % 9);
  config.address = input.byte();
  const std::uint8_t stop = input.byte();
  config.odrive_stop = static_cast<OdriveStopMode>(stop < 0xF0 ? stop % 3 : stop % 5);
  const std::uint8_t axes = input.byte() % 4;
  config.odrive_axes.clear();
  for (std::uint8_t i = 0; i < axes; ++i) config.odrive_axes.push_back(input.byte() % 4);
  config.controller_timeout = std::chrono::milliseconds(input.int32());

  const auto rest = input.rest();
  check_hex(rest);
  const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  auto parsed = lifeline::motion::parse_hex_bytes(text);
  config.custom_stop = parsed ? *parsed : std::vector<std::uint8_t>(rest.begin(), rest.end());

  auto frames = lifeline::motion::build_motor_frames(config);
  if (!frames) {
    if (frames.error().errno_value != 0) std::abort();
    check_line(frames.error().message, "motion.");
  } else {
    check_frames(config, *frames);
  }
  return 0;
}
