// A simulated serial port: bytes go to a path — a pseudo-terminal's slave (a test reads
// the master) or a plain file (appended) — opened non-blocking like the real one.
#pragma once

#include "lifeline/hal/serial_link.hpp"

namespace lifeline::hal {

class SimSerialLink final : public SerialLink {
 public:
  explicit SimSerialLink(std::string path) : path_(std::move(path)) {}
  ~SimSerialLink() override { close(); }
  Status open() override;
  Expected<std::size_t> write(std::span<const std::uint8_t> bytes) override;
  void close() override;
  [[nodiscard]] bool is_open() const override { return fd_ >= 0; }
  [[nodiscard]] std::string describe() const override { return "sim serial " + path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace lifeline::hal
