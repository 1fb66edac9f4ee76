// A GPIO output held through libgpiod 1.6 (the character device API, not sysfs) with
// consumer "lifeline", so `gpioinfo` shows who owns the line.
#pragma once

#include <memory>
#include <string>

#include "board/board.hpp"
#include "lifeline/hal/output_line.hpp"

struct gpiod_chip;
struct gpiod_line;

namespace lifeline::hal {

class GpiodOutputLine final : public OutputLine {
 public:
  // Requests the line as an output at `initial` (logical) value.
  static Expected<std::unique_ptr<GpiodOutputLine>> request(const std::string& role,
                                                            const LineRole& line, bool initial);
  ~GpiodOutputLine() override;
  Status set(bool active) override;
  [[nodiscard]] bool get() const override { return value_; }
  [[nodiscard]] std::string describe() const override { return description_; }

 private:
  GpiodOutputLine() = default;
  gpiod_chip* chip_ = nullptr;
  gpiod_line* line_ = nullptr;
  bool value_ = false;
  std::string description_;
};

}  // namespace lifeline::hal
