#include "config/loader_memory.hpp"

namespace lifeline::config_detail {

void read_memory(check::Checker& /*c*/, const toml::table& /*root*/, Config& /*config*/) {}

}  // namespace lifeline::config_detail
