// The hardware watchdog seam (Linux watchdog API, Documentation/watchdog/watchdog-api.rst).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "lifeline/expected.hpp"

namespace lifeline::hal {

// What WDIOC_GETSUPPORT reports.
struct WatchdogIdentity {
  std::string identity;       // driver name, e.g. "i6300ESB timer"
  std::uint32_t options = 0;  // WDIOF_* capability bits
  std::uint32_t firmware_version = 0;
};

class WatchdogDevice {
 public:
  virtual ~WatchdogDevice() = default;
  // Opens (and so arms) the device.
  virtual Status open() = 0;
  [[nodiscard]] virtual Expected<WatchdogIdentity> identity() = 0;
  // Asks for a timeout and returns the one the driver actually set (WDIOC_GETTIMEOUT).
  virtual Expected<std::chrono::seconds> set_timeout(std::chrono::seconds wanted) = 0;
  // WDIOF_* flags explaining the last reset (WDIOC_GETBOOTSTATUS).
  [[nodiscard]] virtual Expected<std::uint32_t> boot_status() = 0;
  // WDIOC_KEEPALIVE. Must not allocate: it runs on every pet.
  virtual Status pet() = 0;
  // Writes the magic 'V' then closes: the driver disarms (unless nowayout).
  virtual Status close_disarmed() = 0;
  // Closes without the magic character: the watchdog stays armed and will fire.
  virtual void close_armed() = 0;
  [[nodiscard]] virtual bool is_open() const = 0;
  [[nodiscard]] virtual std::string describe() const = 0;  // the path, for messages
};

}  // namespace lifeline::hal
