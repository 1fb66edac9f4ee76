// The motor controller's UART through libserialport: 8N1, no flow control, opened once
// and written without blocking.
#pragma once

#include "board/board.hpp"
#include "lifeline/hal/serial_link.hpp"

struct sp_port;

namespace lifeline::hal {

class SerialPortLink final : public SerialLink {
 public:
  explicit SerialPortLink(SerialRole role) : role_(std::move(role)) {}
  ~SerialPortLink() override { close(); }
  Status open() override;
  Expected<std::size_t> write(std::span<const std::uint8_t> bytes) override;
  void close() override;
  [[nodiscard]] bool is_open() const override { return port_ != nullptr; }
  [[nodiscard]] std::string describe() const override { return role_.device; }

 private:
  SerialRole role_;
  sp_port* port_ = nullptr;
};

}  // namespace lifeline::hal
