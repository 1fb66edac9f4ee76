// The [exclusivity] section of lifeline.toml, read and validated with the config Checker.
// Internal to the config loader.
#pragma once

#include <toml++/toml.h>

#include "config/checker.hpp"
#include "config/config.hpp"

namespace lifeline::config_detail {

void read_exclusivity(check::Checker& c, const toml::table& root, Config& config);

}  // namespace lifeline::config_detail
