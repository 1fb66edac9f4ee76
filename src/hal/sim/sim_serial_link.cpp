#include "hal/sim/sim_serial_link.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace lifeline::hal {

Status SimSerialLink::open() {
  if (fd_ >= 0) return ok_status();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_APPEND | O_CREAT | O_CLOEXEC,
               0644);
  if (fd_ < 0) return errno_error("open sim serial " + path_);
  // A pseudo-terminal would otherwise translate bytes (\n -> \r\n): a motor frame must
  // arrive exactly as built, as it does on a raw UART.
  if (::isatty(fd_) != 0) {
    termios mode{};
    if (::tcgetattr(fd_, &mode) == 0) {
      ::cfmakeraw(&mode);
      ::tcsetattr(fd_, TCSANOW, &mode);
    }
  }
  return ok_status();
}

Expected<std::size_t> SimSerialLink::write(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return Error{ENODEV, "sim serial not open"};
  const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
  if (n < 0) return Error{errno, "sim serial write failed"};
  return static_cast<std::size_t>(n);
}

void SimSerialLink::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace lifeline::hal
