// The [motion] sections of lifeline.toml: the motor dead-man's settings, read and
// validated with the same Checker as the rest of the file (see loader.hpp). Internal to
// the config loader.
#pragma once

#include <toml++/toml.h>

#include "config/checker.hpp"
#include "config/config.hpp"

namespace lifeline::config_detail {

// Where each [motion] table is, for the rules checked once the board is known.
struct MotionScopes {
  check::Scope motion;
  check::Scope app;
  check::Scope lease;
  check::Scope http_probe;
};

// Reads [motion], [motion.app], [motion.lease] and [motion.http_probe] into `out`, with
// every rule that does not need the board: ranges, paths, names, the probe URL, the
// protocol's frames (built once here so a bad address or timeout stops the load), and the
// rules across keys. `agent` is the already-read [agent] (its control socket must differ
// from the lease socket).
MotionScopes read_motion(check::Checker& c, const toml::table& root, const AgentConfig& agent,
                         MotionConfig& out);

// The rules that need the board: an enable line to drive, a serial device to write to.
void check_motion_against_board(check::Checker& c, const MotionScopes& scopes,
                                const Config& config);

}  // namespace lifeline::config_detail
