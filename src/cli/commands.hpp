// The CLI's subcommands other than `run`: each returns the process exit code and prints
// for a person (or JSON with --json). main.cpp only parses arguments.
#pragma once

#include <optional>
#include <string>

namespace lifeline::cli {

inline constexpr const char* kDefaultConfig = "/etc/lifeline/lifeline.toml";

int check_config(const std::string& path);

struct EventsOptions {
  std::string config_path = kDefaultConfig;
  std::string state_dir;  // overrides the config's
  bool json = false;
  std::string since;
  std::optional<int> boot;
};
int events(const EventsOptions& options);

int status(const std::string& config_path, bool json);

// Allows motion again (and with `clear_lockout`, clears the boot-loop lockout first):
// through the running agent; a lockout can also be cleared offline in the reset history
// on disk (recorded in the black box either way).
int rearm(const std::string& config_path, bool clear_lockout);

// Blinks and beeps the locate pattern for `seconds` (0 cancels) through the running agent.
int locate(const std::string& config_path, int seconds);

// Stops the motors now through the running agent.
int estop(const std::string& config_path);

// Exit 0 when not locked out, 1 when locked out: for the app unit's ExecCondition=.
int check_lockout(const std::string& config_path);

}  // namespace lifeline::cli
