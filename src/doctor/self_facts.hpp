// The I/O of lifeline's check of itself: loads the configuration and board as the agent
// would, then (live runs only) looks at each device the configuration uses: watchdog and
// serial port (present, openable by this user, not held by another process), GPIO chips
// and lines (present, offset within the chip, not requested by another consumer) and the
// state directory (writable, on storage that survives a reboot). Nothing is opened for
// writing: opening /dev/watchdog would arm it.
#pragma once

#include <sys/types.h>

#include <string>

#include "doctor/self_checks.hpp"
#include "doctor/system_files.hpp"

namespace lifeline::doctor {

struct SelfFactsRequest {
  std::string config_path;  // "/etc/lifeline/lifeline.toml"
  bool live = true;         // false: configuration and board only
  pid_t self = 0;           // this process, left out of the device holders
};

// `files` provides /proc/cmdline (for the kernel console); devices are the host's.
[[nodiscard]] SelfFacts gather_self_facts(const SystemFiles& files,
                                          const SelfFactsRequest& request);

}  // namespace lifeline::doctor
