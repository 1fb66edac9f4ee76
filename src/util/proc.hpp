// Small readers of /proc shared by the monitors that walk it (the memory guard's process
// scan, exclusivity's socket owners).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline {

// A /proc directory entry's name as a PID; nullopt for anything else ("self", "net", ...).
std::optional<pid_t> parse_pid(std::string_view name);

// Calls `visit` with every PID directory below `proc_root` (normally "/proc"). Allocates
// nothing itself (next_pids into buffers on the stack): a visitor small enough for
// std::function to hold in place keeps a walk allocation-free (the memory guard's scan).
void for_each_pid(const std::string& proc_root, const std::function<void(pid_t)>& visit);

// Lists PIDs below an open /proc directory without allocating (the memory guard's kill
// path walks /proc with it): fills `pids` from the directory's entries, continuing where
// the previous call stopped; 0 at the end of the directory. `buffer` holds the raw
// entries (getdents64); 8 KiB takes a few hundred at a time.
std::size_t next_pids(int proc_dir_fd, std::span<char> buffer, std::span<pid_t> pids);

// Splits text that arrives in pieces (cgroup.procs read a buffer at a time) into lines of
// PIDs, without allocating: a line cut at a piece's end is carried in a fixed buffer until
// its newline comes; a line too long to be a PID is skipped whole, and a line that is not
// a PID is skipped.
class PidLines {
 public:
  template <typename Visit>
  void feed(std::string_view piece, Visit&& visit) {
    while (!piece.empty()) {
      const std::size_t nl = piece.find('\n');
      const std::string_view part = piece.substr(0, nl);
      const bool ends = nl != std::string_view::npos;
      piece = ends ? piece.substr(nl + 1) : std::string_view{};
      if (!skipping_ && carried_ + part.size() <= carry_.size()) {
        part.copy(carry_.data() + carried_, part.size());
        carried_ += part.size();
      } else {
        skipping_ = true;  // longer than any PID
      }
      if (ends) end_line(visit);
    }
  }
  // The last line, when the text did not end with a newline.
  template <typename Visit>
  void finish(Visit&& visit) {
    if (carried_ > 0 || skipping_) end_line(visit);
  }

 private:
  template <typename Visit>
  void end_line(Visit& visit) {
    if (!skipping_) {
      if (auto pid = parse_pid(std::string_view(carry_.data(), carried_))) visit(*pid);
    }
    carried_ = 0;
    skipping_ = false;
  }
  std::array<char, 24> carry_{};
  std::size_t carried_ = 0;
  bool skipping_ = false;
};

// The whole file, or "" when it is missing or unreadable (a process that just exited).
std::string read_file_or_empty(const std::string& path, std::size_t max_bytes = 4096);

// A symlink's target (/proc/PID/exe, /proc/PID/fd/N), or "" when unreadable.
std::string read_link(const std::string& path);

// The cgroup path of a process from /proc/PID/cgroup: the v1 line whose controller list
// names `v1_controller` ("memory", "name=systemd"), else the v2 line ("0::/path"); "" when
// neither is present. The path may itself contain ':'.
std::string cgroup_path_of(std::string_view proc_cgroup_text, std::string_view v1_controller);
// The same, as a view into `proc_cgroup_text` (no allocation).
std::string_view cgroup_path_view(std::string_view proc_cgroup_text,
                                  std::string_view v1_controller);

// /proc/PID/comm without its newline; "" when the process is gone.
std::string process_comm(const std::string& proc_root, pid_t pid);

// A process that has a file open.
struct FileHolder {
  pid_t pid = 0;
  std::string comm;  // /proc/PID/comm without its newline
};

// For each of `paths` (canonical: "/dev/ttyS0", "/dev/watchdog0") that some process below
// `proc_root` has open: those processes, each once, in /proc order. Processes whose fds
// cannot be read (exited, another user's when not root) are skipped.
std::map<std::string, std::vector<FileHolder>> open_file_holders(
    const std::vector<std::string>& paths, const std::string& proc_root = "/proc");

}  // namespace lifeline
