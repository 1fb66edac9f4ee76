// /dev/watchdogN through the kernel watchdog API (ioctl WDIOC_*).
#pragma once

#include <optional>
#include <string>

#include "lifeline/hal/watchdog_device.hpp"

namespace lifeline::hal {

class LinuxWatchdog final : public WatchdogDevice {
 public:
  explicit LinuxWatchdog(std::string path) : path_(std::move(path)) {}
  ~LinuxWatchdog() override;
  Status open() override;
  Expected<WatchdogIdentity> identity() override;
  Expected<std::chrono::seconds> set_timeout(std::chrono::seconds wanted) override;
  Expected<std::uint32_t> boot_status() override;
  Status pet() override;
  Status close_disarmed() override;
  void close_armed() override;
  [[nodiscard]] bool is_open() const override { return fd_ >= 0; }
  [[nodiscard]] std::string describe() const override { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The message for a failed open of a watchdog device: what the errno means for a watchdog
// and what to do (EBUSY names the holder); empty when there is nothing to add.
std::string explain_open_error(const std::string& path, int err);

// Who holds a device open: "pid 412 (watchdog)", from /proc/*/fd. Empty if nobody seen.
std::string find_device_holders(const std::string& device_path);

// The driver's nowayout setting from sysfs, if this kernel exposes it.
std::optional<bool> read_nowayout(const std::string& device_path);

}  // namespace lifeline::hal
