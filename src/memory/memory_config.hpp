// Typed configuration of [memory] in lifeline.toml. The loader fills it; the capability takes
// it as a value.
#pragma once

namespace lifeline {

struct MemoryConfig {
  bool enabled = false;
  bool operator==(const MemoryConfig&) const = default;
};

}  // namespace lifeline
