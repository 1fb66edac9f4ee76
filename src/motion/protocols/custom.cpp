// A stop frame given as hex bytes in the config, for controllers lifeline has no builder
// for (or a different stop command of a supported one, e.g. RoboClaw command 34 or the
// Pololu SMC's Motor Brake). lifeline writes the bytes as given and knows nothing of their
// meaning, so it cannot configure a controller timeout for them either.
#include <string>

#include "motion/protocols/motor_protocol.hpp"

namespace lifeline::motion::detail {

Expected<MotorFrames> build_custom(const MotorProtocolConfig& config) {
  const auto& bytes = config.custom_stop;
  if (bytes.empty()) {
    return Error{0,
                 "motion.custom_stop: empty; the custom protocol needs the stop frame as "
                 "hex bytes, e.g. \"80 00 00 00\""};
  }
  if (bytes.size() > kCustomFrameMaxBytes) {
    return Error{0, "motion.custom_stop: " + std::to_string(bytes.size()) +
                        " bytes; a stop frame is at most " + std::to_string(kCustomFrameMaxBytes) +
                        " bytes"};
  }
  if (config.controller_timeout.count() != 0) {
    return no_controller_timeout(
        "the custom protocol",
        "lifeline only writes the custom stop frame and cannot set a timeout on an unknown "
        "controller; configure the controller's own timeout with its vendor tool");
  }
  MotorFrames frames;
  frames.stop = bytes;
  frames.description =
      "custom stop frame, " + std::to_string(bytes.size()) + " bytes: " + hex_string(bytes);
  return frames;
}

}  // namespace lifeline::motion::detail
