// Turns a Board (data) into HAL instances: the one place that knows which implementation
// serves which `hal` kind. Capabilities ask for roles, never for implementations.
#pragma once

#include <memory>
#include <string>

#include "board/board.hpp"
#include "lifeline/hal/clock.hpp"
#include "lifeline/hal/output_line.hpp"
#include "lifeline/hal/serial_link.hpp"
#include "lifeline/hal/watchdog_device.hpp"

namespace lifeline {

class BoardHal {
 public:
  // `sim_dir` is where the sim board shows its outputs (<state_dir>/sim by default).
  BoardHal(Board board, std::string sim_dir, const hal::Clock& clock);

  [[nodiscard]] const Board& board() const { return board_; }
  [[nodiscard]] bool simulated() const { return board_.hal == HalKind::sim; }
  [[nodiscard]] const std::string& sim_dir() const { return sim_dir_; }

  // `device_override` replaces the board's watchdog path when not empty.
  [[nodiscard]] std::unique_ptr<hal::WatchdogDevice> make_watchdog(
      const std::string& device_override) const;
  // Requests the role's line as an output at `initial`; error if the board lacks it.
  [[nodiscard]] Expected<std::unique_ptr<hal::OutputLine>> make_output(const std::string& role,
                                                                       bool initial) const;
  [[nodiscard]] Expected<std::unique_ptr<hal::SerialLink>> make_motor_serial(
      const std::string& device_override) const;
  // This boot's id: the kernel's, or the sim board's simulated boots.
  [[nodiscard]] std::string boot_id() const;

 private:
  [[nodiscard]] const std::optional<LineRole>* find_line(const std::string& role) const;
  Board board_;
  std::string sim_dir_;
  const hal::Clock& clock_;
};

}  // namespace lifeline
