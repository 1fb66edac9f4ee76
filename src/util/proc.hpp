// Small readers of /proc shared by the monitors that walk it (the memory guard's process
// scan, exclusivity's socket owners).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lifeline {

// A /proc directory entry's name as a PID; nullopt for anything else ("self", "net", ...).
std::optional<pid_t> parse_pid(std::string_view name);

// Calls `visit` with every PID directory below `proc_root` (normally "/proc").
void for_each_pid(const std::string& proc_root, const std::function<void(pid_t)>& visit);

// The whole file, or "" when it is missing or unreadable (a process that just exited).
std::string read_file_or_empty(const std::string& path, std::size_t max_bytes = 4096);

// A symlink's target (/proc/PID/exe, /proc/PID/fd/N), or "" when unreadable.
std::string read_link(const std::string& path);

// The cgroup path of a process from /proc/PID/cgroup: the v1 line whose controller list
// names `v1_controller` ("memory", "name=systemd"), else the v2 line ("0::/path"); "" when
// neither is present. The path may itself contain ':'.
std::string cgroup_path_of(std::string_view proc_cgroup_text, std::string_view v1_controller);

}  // namespace lifeline
