#include "hal/linux/serialport_link.hpp"

#include <libserialport.h>

#include <cerrno>

namespace lifeline::hal {

namespace {
Error sp_error(const std::string& what) {
  char* text = sp_last_error_message();
  Error error{sp_last_error_code(), what + ": " + (text != nullptr ? text : "unknown error")};
  sp_free_error_message(text);
  return error;
}
}  // namespace

Status SerialPortLink::open() {
  if (port_ != nullptr) return ok_status();
  if (sp_get_port_by_name(role_.device.c_str(), &port_) != SP_OK) {
    port_ = nullptr;
    return sp_error("serial port " + role_.device);
  }
  if (sp_open(port_, SP_MODE_WRITE) != SP_OK) {
    auto error = sp_error("open serial port " + role_.device);
    sp_free_port(port_);
    port_ = nullptr;
    return error;
  }
  const bool configured =
      sp_set_baudrate(port_, static_cast<int>(role_.baud)) == SP_OK &&
      sp_set_bits(port_, 8) == SP_OK && sp_set_parity(port_, SP_PARITY_NONE) == SP_OK &&
      sp_set_stopbits(port_, 1) == SP_OK && sp_set_flowcontrol(port_, SP_FLOWCONTROL_NONE) == SP_OK;
  if (!configured) {
    auto error = sp_error("configure serial port " + role_.device);
    close();
    return error;
  }
  return ok_status();
}

Expected<std::size_t> SerialPortLink::write(std::span<const std::uint8_t> bytes) {
  if (port_ == nullptr) return Error{ENODEV, "serial port not open"};
  const sp_return written = sp_nonblocking_write(port_, bytes.data(), bytes.size());
  if (written < 0) return Error{errno, "serial write failed"};
  return static_cast<std::size_t>(written);
}

void SerialPortLink::close() {
  if (port_ == nullptr) return;
  sp_close(port_);
  sp_free_port(port_);
  port_ = nullptr;
}

}  // namespace lifeline::hal
