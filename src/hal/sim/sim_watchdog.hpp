// A simulated watchdog a person and a test can watch: every operation is appended to
// <dir>/watchdog.log ("<monotonic_ns> <what> [value]") and the armed state is kept in
// <dir>/watchdog.state. It simulates the reset too: opening it while the previous
// holder left it armed and unpetted for longer than its timeout counts as a board reset
// (boot status WDIOF_CARDRESET and a new simulated boot, see sim_boot_id()).
#pragma once

#include <string>

#include "lifeline/hal/clock.hpp"
#include "lifeline/hal/watchdog_device.hpp"

namespace lifeline::hal {

class SimWatchdog final : public WatchdogDevice {
 public:
  SimWatchdog(std::string dir, const Clock& clock, std::chrono::seconds max_timeout);
  ~SimWatchdog() override;
  Status open() override;
  Expected<WatchdogIdentity> identity() override;
  Expected<std::chrono::seconds> set_timeout(std::chrono::seconds wanted) override;
  Expected<std::uint32_t> boot_status() override { return boot_status_; }
  Status pet() override;
  Status close_disarmed() override;
  void close_armed() override;
  [[nodiscard]] bool is_open() const override { return log_fd_ >= 0; }
  [[nodiscard]] std::string describe() const override { return "sim:" + dir_; }

 private:
  void log_line(const char* what, long long value = -1);
  void write_state(bool armed);
  std::string dir_;
  const Clock& clock_;
  std::chrono::seconds max_timeout_;
  std::chrono::seconds timeout_{60};
  std::uint32_t boot_status_ = 0;
  std::uint32_t boots_ = 0;
  long long last_pet_wall_ms_ = 0;
  int log_fd_ = -1;
  int state_fd_ = -1;
};

// The boot id the sim board reports: the host's boot id with the simulated boot count
// in its first 8 hex digits, so a simulated reset is a new boot to lifeline.
std::string sim_boot_id(const std::string& dir, const std::string& host_boot_id,
                        const Clock& clock);

}  // namespace lifeline::hal
