// A simulated GPIO output: the current value in <dir>/lines/<role> ("0"/"1") and every
// change appended to <dir>/lines/<role>.log as "<monotonic_ns> <0|1>", so a test reads
// edge times and a person can `watch cat` it.
#pragma once

#include <memory>
#include <string>

#include "lifeline/hal/clock.hpp"
#include "lifeline/hal/output_line.hpp"

namespace lifeline::hal {

class SimOutputLine final : public OutputLine {
 public:
  static Expected<std::unique_ptr<SimOutputLine>> open(const std::string& dir,
                                                       const std::string& role, const Clock& clock,
                                                       bool initial);
  ~SimOutputLine() override;
  Status set(bool active) override;
  [[nodiscard]] bool get() const override { return value_; }
  [[nodiscard]] std::string describe() const override { return "sim line " + role_; }

 private:
  SimOutputLine(std::string role, const Clock& clock) : role_(std::move(role)), clock_(clock) {}
  std::string role_;
  const Clock& clock_;
  int value_fd_ = -1;
  int log_fd_ = -1;
  bool value_ = false;
};

}  // namespace lifeline::hal
