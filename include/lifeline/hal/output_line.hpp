// The output-line seam: a GPIO the agent drives (status_led, buzzer, motor_enable).
// Values are logical: true means "active" whatever the wiring's active level.
#pragma once

#include <string>

#include "lifeline/expected.hpp"

namespace lifeline::hal {

class OutputLine {
 public:
  virtual ~OutputLine() = default;
  // Must not allocate on success: the motor stop path calls it.
  virtual Status set(bool active) = 0;
  [[nodiscard]] virtual bool get() const = 0;  // the last value set
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace lifeline::hal
