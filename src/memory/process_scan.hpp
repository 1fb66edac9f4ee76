// Reads the process table from /proc for the victim choice and the top-RSS snapshot. The
// only place the memory guard walks /proc/PID; it runs when the ladder is at warn or
// above, or when a snapshot is asked for, never while memory is plentiful (idle costs
// nothing). Everything a kill reads goes through here without allocating: the table and
// its buffers are made once, at construction, and reused by every scan.
#pragma once

#include <sys/types.h>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lifeline/expected.hpp"
#include "lifeline/hal/clock.hpp"
#include "memory/victim.hpp"

namespace lifeline::memory {

// One process as the cheap scan sees it: enough to sort by preference.
struct ScanRow {
  pid_t pid = 0;
  bool kernel_thread = false;   // no address space
  std::uint64_t rss_kb = 0;     // statm resident
  double growth_kib_per_s = 0;  // since the previous scan that saw it; 0 on the first
  FixedString<kCommBytes> comm;
};

class ProcessScanner {
 public:
  // Rows a scan keeps when there is no configuration to say (a robot's box runs a few
  // hundred processes, kernel threads included).
  static constexpr std::size_t kDefaultCapacity = 1024;

  explicit ProcessScanner(std::string proc_root = "/proc", std::size_t capacity = kDefaultCapacity);
  // Every process, cheaply: PID, comm and resident set (statm) only, so a box with
  // hundreds of processes is scanned in a few milliseconds. Growth rates are against the
  // previous scan that saw the same PID. The rows are the scanner's own, valid until the
  // next scan. More processes than the capacity: the largest resident sets are kept and
  // overflowed() counts the rest.
  std::span<ScanRow> scan(hal::MonoTime now);
  // The same for the processes of one cgroup directory (its cgroup.procs).
  std::span<ScanRow> scan_cgroup(const std::string& cgroup_dir, hal::MonoTime now);
  [[nodiscard]] std::size_t overflowed() const { return overflowed_; }
  [[nodiscard]] std::size_t capacity() const { return rows_.size(); }

  // A row with its details (exe, cgroup, oom_score_adj, anon RSS, parent) in `out`; false
  // when the process is gone. Allocates nothing.
  bool describe(const ScanRow& row, ProcessInfo& out);
  // PIDs whose comm is `name` (cheap: reads only comm).
  [[nodiscard]] std::vector<pid_t> find_by_comm(std::string_view name) const;
  // PIDs running `program`: an absolute path is matched against /proc/PID/exe (also when
  // the file was replaced since, " (deleted)"), anything else against comm.
  [[nodiscard]] std::vector<pid_t> find_program(std::string_view program) const;

 private:
  struct Seen {
    pid_t pid = 0;
    std::uint64_t rss_kb = 0;
    hal::MonoTime time{};
  };
  using Path = FixedString<384>;
  // exe, cgroup, oom_score_adj, anon RSS and parent; false when the process is gone.
  bool fill_details(ProcessInfo& process);
  void path_of(pid_t pid, std::string_view file);  // into path_
  std::optional<ScanRow> read_row(pid_t pid);
  void keep(const ScanRow& row);                       // into rows_, the largest when full
  void remember(hal::MonoTime now, bool whole_table);  // the growth history
  void note_growth(ScanRow& row) const;

  std::string proc_root_;
  std::vector<ScanRow> rows_;  // capacity rows, made once; used_ of them hold this scan
  std::size_t used_ = 0;
  std::size_t overflowed_ = 0;
  std::vector<Seen> seen_;  // the previous scans, by PID, for growth; capacity entries
  std::size_t seen_used_ = 0;
  hal::MonoTime scan_time_{};
  Path path_;
  std::array<char, 8192> text_{};  // one /proc file at a time (status is the largest)
};

// Writes `value` to /proc/PID/oom_score_adj; an Error names the PID and errno.
Status set_oom_score_adj(pid_t pid, int value);
// Reads /proc/PID/oom_score_adj; nullopt when unreadable.
std::optional<int> read_oom_score_adj(pid_t pid);

}  // namespace lifeline::memory
