// Typed configuration of [rescue] in lifeline.toml. The loader fills it; the capability takes
// it as a value.
#pragma once

namespace lifeline {

struct RescueConfig {
  bool enabled = false;
  bool operator==(const RescueConfig&) const = default;
};

}  // namespace lifeline
