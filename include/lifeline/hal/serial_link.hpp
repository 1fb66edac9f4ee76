// The serial-link seam: the motor controller's port. Opened once, kept open, written
// without blocking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "lifeline/expected.hpp"

namespace lifeline::hal {

class SerialLink {
 public:
  virtual ~SerialLink() = default;
  virtual Status open() = 0;
  // Non-blocking write of a pre-built frame; returns bytes accepted. Must not allocate.
  virtual Expected<std::size_t> write(std::span<const std::uint8_t> bytes) = 0;
  virtual void close() = 0;
  [[nodiscard]] virtual bool is_open() const = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace lifeline::hal
