// Shared by the motor protocol tests: byte helpers and build/expect-error helpers.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion::test {

using std::chrono::milliseconds;
using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (const int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

inline Bytes ascii(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

inline MotorProtocolConfig config_for(MotorProtocol protocol) {
  MotorProtocolConfig config;
  config.protocol = protocol;
  return config;
}

inline MotorFrames build_ok(const MotorProtocolConfig& config) {
  auto frames = build_motor_frames(config);
  if (!frames) {
    ADD_FAILURE() << "build failed: " << frames.error().message;
    return {};
  }
  return *frames;
}

// The build fails, the message names `field`, and contains `fragment`.
inline void expect_error(const MotorProtocolConfig& config, std::string_view field,
                         std::string_view fragment) {
  auto frames = build_motor_frames(config);
  ASSERT_FALSE(frames.ok()) << "expected an error naming " << field;
  const std::string& message = frames.error().message;
  EXPECT_EQ(frames.error().errno_value, 0);
  EXPECT_NE(message.find(field), std::string::npos) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace lifeline::motion::test
