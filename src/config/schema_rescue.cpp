// The [rescue] keys of lifeline.toml (see schema.hpp).
#include "config/schema.hpp"

namespace lifeline::schema {

std::span<const std::string_view> rescue_sections() {
  return {};
}
std::span<const Key> rescue_keys() {
  return {};
}

}  // namespace lifeline::schema
