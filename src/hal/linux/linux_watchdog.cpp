#include "hal/linux/linux_watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "util/files.hpp"
#include "util/proc.hpp"

namespace lifeline::hal {

namespace fs = std::filesystem;

std::string explain_open_error(const std::string& path, int err) {
  switch (err) {
    case ENOENT:
      return path +
             " does not exist: the watchdog driver is not loaded (Pi: "
             "dtparam=watchdog=on; QEMU: -device i6300esb)";
    case EBUSY: {
      std::string holders = find_device_holders(path);
      if (holders.empty()) holders = "PID 1 if RuntimeWatchdogSec= is set in system.conf";
      return path + " is busy: another process holds it (" + holders +
             "); only one watchdog owner may exist — disable the other one";
    }
    case EACCES:
    case EPERM:
      return path + ": permission denied (lifeline needs root or DeviceAllow= for it)";
    default:
      return {};
  }
}

LinuxWatchdog::~LinuxWatchdog() {
  close_armed();
}

Status LinuxWatchdog::open() {
  if (fd_ >= 0) return ok_status();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    auto error = errno_error("open " + path_);
    if (auto why = explain_open_error(path_, err); !why.empty()) error.message = why;
    return error;
  }
  return ok_status();
}

Expected<WatchdogIdentity> LinuxWatchdog::identity() {
  watchdog_info info{};
  if (::ioctl(fd_, WDIOC_GETSUPPORT, &info) != 0) {
    return errno_error("WDIOC_GETSUPPORT on " + path_);
  }
  WatchdogIdentity out;
  out.identity.assign(reinterpret_cast<const char*>(info.identity),
                      strnlen(reinterpret_cast<const char*>(info.identity), sizeof info.identity));
  out.options = info.options;
  out.firmware_version = info.firmware_version;
  return out;
}

Expected<std::chrono::seconds> LinuxWatchdog::set_timeout(std::chrono::seconds wanted) {
  int timeout = static_cast<int>(wanted.count());
  // Drivers may round or refuse; what counts is what GETTIMEOUT says afterwards.
  const bool set_ok = ::ioctl(fd_, WDIOC_SETTIMEOUT, &timeout) == 0;
  const int set_errno = errno;
  int actual = 0;
  if (::ioctl(fd_, WDIOC_GETTIMEOUT, &actual) != 0) {
    return errno_error("WDIOC_GETTIMEOUT on " + path_);
  }
  if (!set_ok && set_errno != EINVAL && set_errno != EOPNOTSUPP && set_errno != ENOTTY) {
    errno = set_errno;
    return errno_error("WDIOC_SETTIMEOUT on " + path_);
  }
  return std::chrono::seconds(actual);
}

Expected<std::uint32_t> LinuxWatchdog::boot_status() {
  int flags = 0;
  if (::ioctl(fd_, WDIOC_GETBOOTSTATUS, &flags) != 0) {
    return errno_error("WDIOC_GETBOOTSTATUS on " + path_);
  }
  return static_cast<std::uint32_t>(flags);
}

Status LinuxWatchdog::pet() {
  if (::ioctl(fd_, WDIOC_KEEPALIVE, nullptr) == 0) return ok_status();
  // Some drivers lack the ioctl; any write is a keepalive too.
  if (errno == ENOTTY || errno == EOPNOTSUPP) {
    if (::write(fd_, "\0", 1) == 1) return ok_status();
  }
  return Error{errno, "watchdog keepalive failed"};  // no allocation of the path here
}

Status LinuxWatchdog::close_disarmed() {
  if (fd_ < 0) return ok_status();
  const bool wrote = ::write(fd_, "V", 1) == 1;
  const int err = errno;
  ::close(fd_);
  fd_ = -1;
  if (!wrote) {
    errno = err;
    return errno_error("magic close of " + path_);
  }
  return ok_status();
}

void LinuxWatchdog::close_armed() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string find_device_holders(const std::string& device_path) {
  std::error_code ec;
  const auto target = fs::canonical(device_path, ec);
  if (ec) return {};
  const auto holders = open_file_holders({target.string()});
  const auto found = holders.find(target.string());
  if (found == holders.end()) return {};
  std::string out;
  for (const FileHolder& holder : found->second) {
    if (!out.empty()) out += ", ";
    out += "pid " + std::to_string(holder.pid) + " (" + holder.comm + ")";
  }
  return out;
}

std::optional<bool> read_nowayout(const std::string& device_path) {
  const std::string name = fs::path(device_path).filename().string();
  auto text = read_small_file("/sys/class/watchdog/" + name + "/nowayout", 16);
  if (!text || text->empty()) return std::nullopt;
  return (*text)[0] == '1';
}

}  // namespace lifeline::hal
