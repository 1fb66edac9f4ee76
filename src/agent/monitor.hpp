// A monitor turns one kind of I/O into observations on the loop. Each lives in its own
// file, owns its event sources, and reports through whatever its capability gives it.
#pragma once

#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline {

class EventLoop;

class Monitor {
 public:
  virtual ~Monitor() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  virtual Status start(EventLoop& loop) = 0;
  virtual void stop() = 0;
};

}  // namespace lifeline
