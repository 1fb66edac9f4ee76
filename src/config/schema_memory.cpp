// The [memory] keys of lifeline.toml (see schema.hpp).
#include "config/schema.hpp"

namespace lifeline::schema {

std::span<const std::string_view> memory_sections() {
  return {};
}
std::span<const Key> memory_keys() {
  return {};
}

}  // namespace lifeline::schema
