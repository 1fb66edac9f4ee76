// How doctor sees a machine's files: two functions, so checks stay pure and tests hand
// in a fixture tree (in memory or on disk). Paths are absolute as on the robot
// ("/etc/fstab"); the on-disk view resolves them under a root directory.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "doctor/unit_file.hpp"

namespace lifeline::doctor {

struct SystemFiles {
  // The contents of a file, nullopt when absent or unreadable (or a directory).
  std::function<std::optional<std::string>(const std::string& path)> read;
  // The names (not paths) in a directory, sorted; empty when absent.
  std::function<std::vector<std::string>(const std::string& dir)> list;
};

// The files under `root` ("/" for this machine). Files over 4 MiB read as their first
// 4 MiB. A symlink is followed as the host resolves it, so an absolute link target
// (a mask's /dev/null) points outside the root: fine for the files doctor reads.
[[nodiscard]] SystemFiles files_under_root(const std::string& root);

// Unit search path, highest priority first (systemd.unit(5), system manager).
inline const std::vector<std::string>& unit_dirs() {
  static const std::vector<std::string> dirs = {"/etc/systemd/system", "/run/systemd/system",
                                                "/lib/systemd/system", "/usr/lib/systemd/system"};
  return dirs;
}

struct LoadedUnit {
  std::string name;
  std::string path;                  // the unit file found first on the search path
  std::vector<std::string> dropins;  // applied in this order
  UnitFile unit;                     // the file with its drop-ins merged
  // systemd.unit(5): a unit file that is empty or links to /dev/null is masked.
  bool masked = false;
};

// `name` from the unit search path with its NAME.d/*.conf drop-ins (sorted by file name;
// a drop-in in a higher-priority directory hides one of the same name below it).
[[nodiscard]] std::optional<LoadedUnit> load_unit(const SystemFiles& files,
                                                  const std::string& name);

// A config file and its drop-ins: `main` (e.g. "/etc/systemd/journald.conf") then
// `dropin_dir_name` ("journald.conf.d") under /etc/systemd, /run/systemd, /lib/systemd,
// /usr/lib/systemd, ordered as systemd does. `sources` lists the files read.
[[nodiscard]] UnitFile load_config(const SystemFiles& files, const std::string& main,
                                   const std::string& dropin_dir_name,
                                   std::vector<std::string>* sources = nullptr);

// How a service is enabled, as far as files can tell.
struct Enablement {
  std::vector<std::string> links;  // "/etc/systemd/system/multi-user.target.wants"
  std::string preset;              // "/etc/systemd/system-preset/50-x.preset: enable x"
  [[nodiscard]] bool linked() const { return !links.empty(); }
};

// Every service unit that would start at boot: linked from a *.wants/ or *.requires/
// directory, or named by an explicit `enable` line of the first matching preset rule
// (systemd.preset(5)) and having an [Install] section that presets act on. Masked units
// and links without a unit file are left out.
[[nodiscard]] std::map<std::string, Enablement> enabled_services(const SystemFiles& files);

}  // namespace lifeline::doctor
