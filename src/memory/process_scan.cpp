#include "memory/process_scan.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "memory/meminfo.hpp"
#include "memory/proc_text.hpp"
#include "util/files.hpp"
#include "util/proc.hpp"

namespace lifeline::memory {

namespace {

const std::uint64_t kPageKb = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;

std::string_view without_newline(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  return text;
}

}  // namespace

ProcessScanner::ProcessScanner(std::string proc_root, std::size_t capacity)
    : proc_root_(std::move(proc_root)),
      rows_(std::max<std::size_t>(capacity, 1)),
      seen_(std::max<std::size_t>(capacity, 1)) {}

void ProcessScanner::path_of(pid_t pid, std::string_view file) {
  path_.assign(proc_root_);
  path_ << '/' << pid << '/' << file;
}

std::optional<ScanRow> ProcessScanner::read_row(pid_t pid) {
  path_of(pid, "statm");
  const auto n = read_into(path_.c_str(), std::span(text_.data(), 255));
  if (!n) return std::nullopt;
  // "size resident shared text lib data dirty", in pages.
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  const char* at = text_.data();
  const char* end = at + *n;
  auto r = std::from_chars(at, end, size);
  if (r.ec != std::errc{} || r.ptr == end) return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, resident);
  if (r.ec != std::errc{}) return std::nullopt;
  ScanRow row;
  row.pid = pid;
  row.rss_kb = resident * kPageKb;
  row.kernel_thread = size == 0;
  path_of(pid, "comm");
  if (const auto c = read_into(path_.c_str(), std::span(text_.data(), 64))) {
    row.comm = without_newline(std::string_view(text_.data(), *c));
  }
  return row;
}

void ProcessScanner::keep(const ScanRow& row) {
  if (used_ < rows_.size()) {
    rows_[used_++] = row;
    return;
  }
  // Full: the smallest resident set makes way (the victim and the snapshot are among the
  // largest), and the one left out is counted.
  ++overflowed_;
  auto smallest = std::min_element(
      rows_.begin(), rows_.end(), [](const auto& a, const auto& b) { return a.rss_kb < b.rss_kb; });
  if (smallest->rss_kb < row.rss_kb) *smallest = row;
}

void ProcessScanner::note_growth(ScanRow& row) const {
  const auto begin = seen_.begin();
  const auto end = begin + static_cast<std::ptrdiff_t>(seen_used_);
  const auto it =
      std::lower_bound(begin, end, row.pid, [](const Seen& s, pid_t pid) { return s.pid < pid; });
  if (it == end || it->pid != row.pid || scan_time_ <= it->time) return;
  const double seconds = std::chrono::duration<double>(scan_time_ - it->time).count();
  row.growth_kib_per_s =
      (static_cast<double>(row.rss_kb) - static_cast<double>(it->rss_kb)) / seconds;
}

// The growth history: after a whole-table scan it is that table; after a cgroup's, its
// rows are updated or added (a full history drops the additions).
void ProcessScanner::remember(hal::MonoTime now, bool whole_table) {
  const auto by_pid = [](const Seen& a, const Seen& b) { return a.pid < b.pid; };
  if (whole_table) seen_used_ = 0;
  for (std::size_t i = 0; i < used_; ++i) {
    const Seen entry{rows_[i].pid, rows_[i].rss_kb, now};
    const auto begin = seen_.begin();
    const auto end = begin + static_cast<std::ptrdiff_t>(seen_used_);
    if (whole_table) {
      seen_[seen_used_++] = entry;
      continue;
    }
    const auto it = std::lower_bound(begin, end, entry, by_pid);
    if (it != end && it->pid == entry.pid) {
      *it = entry;
    } else if (seen_used_ < seen_.size()) {
      std::move_backward(it, end, end + 1);
      *it = entry;
      ++seen_used_;
    }
  }
  if (whole_table) {
    std::sort(seen_.begin(), seen_.begin() + static_cast<std::ptrdiff_t>(seen_used_), by_pid);
  }
}

std::span<ScanRow> ProcessScanner::scan(hal::MonoTime now) {
  used_ = 0;
  overflowed_ = 0;
  scan_time_ = now;
  // The visitor captures only `this`: std::function holds it without allocating.
  for_each_pid(proc_root_, [this](pid_t pid) {
    if (auto row = read_row(pid)) {
      note_growth(*row);
      keep(*row);
    }
  });
  remember(now, true);
  return {rows_.data(), used_};
}

std::span<ScanRow> ProcessScanner::scan_cgroup(const std::string& cgroup_dir, hal::MonoTime now) {
  used_ = 0;
  overflowed_ = 0;
  scan_time_ = now;
  Path procs(cgroup_dir);
  procs << "/cgroup.procs";
  const int fd = ::open(procs.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  // Read in pieces (read_row() uses text_), split into PIDs as they come.
  const auto visit = [this](pid_t pid) {
    if (auto row = read_row(pid)) {
      note_growth(*row);
      keep(*row);
    }
  };
  std::array<char, 512> piece{};
  PidLines lines;
  for (;;) {
    const ssize_t n = ::read(fd, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    lines.feed(std::string_view(piece.data(), static_cast<std::size_t>(n)), visit);
  }
  lines.finish(visit);
  ::close(fd);
  remember(now, false);
  return {rows_.data(), used_};
}

bool ProcessScanner::describe(const ScanRow& row, ProcessInfo& out) {
  out.pid = row.pid;
  out.ppid = 0;
  out.comm = row.comm;
  out.exe.clear();
  out.cgroup.clear();
  out.rss_kb = row.rss_kb;
  out.anon_kb = 0;
  out.oom_score_adj = 0;
  out.growth_kib_per_s = row.growth_kib_per_s;
  out.kernel_thread = row.kernel_thread;
  return fill_details(out);
}

bool ProcessScanner::fill_details(ProcessInfo& p) {
  path_of(p.pid, "status");
  const auto n = read_into(path_.c_str(), text_);
  if (!n) return false;
  const std::string_view status(text_.data(), *n);
  p.ppid = parse_ppid(status);
  // No Vm* lines: a kernel thread, or a zombie. Said here, before the parser would build
  // an error (which allocates) for the lines it misses.
  const bool has_memory = status.find("\nVmRSS:") != std::string_view::npos;
  auto memory = has_memory ? parse_proc_status_memory(status) : Expected<ProcMemory>(ProcMemory{});
  if (has_memory && memory) {
    p.rss_kb = memory->vm_rss_kb;
    p.anon_kb = memory->rss_anon_kb;
  } else {
    p.kernel_thread = true;
  }
  path_of(p.pid, "exe");
  const ssize_t link = ::readlink(path_.c_str(), p.exe.writable(), kExeBytes);
  p.exe.set_size(link > 0 ? static_cast<std::size_t>(link) : 0);
  path_of(p.pid, "cgroup");
  const auto c = read_into(path_.c_str(), text_);
  p.cgroup =
      c ? cgroup_path_view(std::string_view(text_.data(), *c), "memory") : std::string_view{};
  // A /proc/PID/cgroup cut by the buffer may have lost the memory line: treat it as a
  // path too long to check (protected), never as "no cgroup".
  if (c && *c == text_.size()) p.cgroup.mark_truncated();
  path_of(p.pid, "oom_score_adj");
  int adj = 0;
  if (const auto a = read_into(path_.c_str(), std::span(text_.data(), 32))) {
    std::from_chars(text_.data(), text_.data() + *a, adj);
  }
  p.oom_score_adj = adj;
  return true;
}

std::vector<pid_t> ProcessScanner::find_by_comm(std::string_view name) const {
  std::vector<pid_t> found;
  for_each_pid(proc_root_, [&](pid_t pid) {
    std::string comm = read_file_or_empty(proc_root_ + "/" + std::to_string(pid) + "/comm", 64);
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm == name) found.push_back(pid);
  });
  return found;
}

std::vector<pid_t> ProcessScanner::find_program(std::string_view program) const {
  if (program.empty() || program.front() != '/') return find_by_comm(program);
  constexpr std::string_view kDeleted = " (deleted)";
  std::vector<pid_t> found;
  for_each_pid(proc_root_, [&](pid_t pid) {
    std::string exe = read_link(proc_root_ + "/" + std::to_string(pid) + "/exe");
    if (exe.ends_with(kDeleted)) exe.resize(exe.size() - kDeleted.size());
    if (exe == program) found.push_back(pid);
  });
  return found;
}

Status set_oom_score_adj(pid_t pid, int value) {
  const std::string path = "/proc/" + std::to_string(pid) + "/oom_score_adj";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open " + path);
  const std::string text = std::to_string(value);
  const ssize_t n = ::write(fd, text.data(), text.size());
  const Error error = n < 0 ? errno_error("cannot write " + text + " to " + path) : Error{};
  ::close(fd);
  if (n < 0) return error;
  return ok_status();
}

std::optional<int> read_oom_score_adj(pid_t pid) {
  auto text = read_small_file("/proc/" + std::to_string(pid) + "/oom_score_adj", 32);
  if (!text) return std::nullopt;
  int value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{}) return std::nullopt;
  return value;
}

}  // namespace lifeline::memory
