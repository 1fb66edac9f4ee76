#include "config/loader_rescue.hpp"

namespace lifeline::config_detail {

void read_rescue(check::Checker& /*c*/, const toml::table& /*root*/, Config& /*config*/) {}

}  // namespace lifeline::config_detail
