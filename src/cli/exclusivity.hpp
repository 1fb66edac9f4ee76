// `lifeline exclusivity check [--enforce]`: one check of every role, as the agent makes it,
// for boot (lifeline-exclusivity.service, ordered before the app): prints each duplicate
// and, with --enforce, applies each role's mode (stop, mask) and waits for systemd's
// answers. It writes no black box (the agent, running beside it, owns that and records
// the same duplicates at its own first check); its lines go to the journal.
//
// `lifeline exclusivity release UNIT`: the operator's undo of mode "mask". Unmasks the unit
// file over sd-bus (UnmaskUnitFiles, runtime=false), reloads systemd, reads the unit file
// state back, and records it in the black box: through the running agent (which holds the
// black box and then stops masking that unit) or, with none running, directly.
#pragma once

#include <string>

namespace lifeline::cli {

// Exit 0 when no duplicate is left (none found, or --enforce neutralised every one: a
// service stopped in mode stop, masked in mode mask), 1 otherwise, 2 bad config.
int exclusivity_check(const std::string& config_path, bool enforce);

// Exit 0 released, 1 failed (not root, the bus or systemd refused), 2 bad config.
int exclusivity_release(const std::string& config_path, const std::string& unit);

}  // namespace lifeline::cli
