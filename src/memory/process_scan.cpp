#include "memory/process_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <memory>

#include "memory/meminfo.hpp"
#include "memory/proc_text.hpp"
#include "util/files.hpp"
#include "util/proc.hpp"

namespace lifeline::memory {

namespace {

constexpr std::size_t kStatusMax = 8192;
const std::uint64_t kPageKb = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;

}  // namespace

std::optional<ProcessInfo> ProcessScanner::read_cheap(pid_t pid) const {
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  auto statm = read_small_file(dir + "/statm", 256);
  if (!statm) return std::nullopt;
  // "size resident shared text lib data dirty", in pages.
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  const char* at = statm->data();
  const char* end = at + statm->size();
  auto r = std::from_chars(at, end, size);
  if (r.ec != std::errc{} || r.ptr == end) return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, resident);
  if (r.ec != std::errc{}) return std::nullopt;
  ProcessInfo p;
  p.pid = pid;
  p.rss_kb = resident * kPageKb;
  p.kernel_thread = size == 0;  // no address space at all
  p.comm = read_file_or_empty(dir + "/comm", 64);
  if (!p.comm.empty() && p.comm.back() == '\n') p.comm.pop_back();
  return p;
}

bool ProcessScanner::fill_details(ProcessInfo& p) const {
  const std::string dir = proc_root_ + "/" + std::to_string(p.pid);
  auto status = read_small_file(dir + "/status", kStatusMax);
  if (!status) return false;
  p.ppid = parse_ppid(*status);
  if (auto memory = parse_proc_status_memory(*status)) {
    p.rss_kb = memory->vm_rss_kb;
    p.anon_kb = memory->rss_anon_kb;
  } else {
    p.kernel_thread = true;  // no Vm* lines: a kernel thread (or a zombie)
  }
  p.exe = read_link(dir + "/exe");
  p.cgroup = memory_cgroup_of(read_file_or_empty(dir + "/cgroup"));
  p.oom_score_adj = read_oom_score_adj(p.pid).value_or(0);
  return true;
}

std::optional<ProcessInfo> ProcessScanner::read(pid_t pid) const {
  auto p = read_cheap(pid);
  if (!p || !fill_details(*p)) return std::nullopt;
  return p;
}

void ProcessScanner::note_growth(ProcessInfo& p, hal::MonoTime now,
                                 std::unordered_map<pid_t, Previous>& seen) const {
  if (auto it = previous_.find(p.pid); it != previous_.end() && now > it->second.time) {
    const double seconds = std::chrono::duration<double>(now - it->second.time).count();
    p.growth_kib_per_s =
        (static_cast<double>(p.rss_kb) - static_cast<double>(it->second.rss_kb)) / seconds;
  }
  seen[p.pid] = Previous{now, p.rss_kb};
}

std::vector<ProcessInfo> ProcessScanner::scan(hal::MonoTime now) {
  std::vector<ProcessInfo> table;
  std::unordered_map<pid_t, Previous> seen;
  for_each_pid(proc_root_, [&](pid_t pid) {
    auto p = read_cheap(pid);
    if (!p) return;
    note_growth(*p, now, seen);
    table.push_back(std::move(*p));
  });
  previous_ = std::move(seen);
  return table;
}

std::vector<ProcessInfo> ProcessScanner::scan_cgroup(const std::string& cgroup_dir,
                                                     hal::MonoTime now) {
  std::vector<ProcessInfo> table;
  const std::string procs = read_file_or_empty(cgroup_dir + "/cgroup.procs", 1 << 20);
  std::size_t at = 0;
  while (at < procs.size()) {
    std::size_t end = procs.find('\n', at);
    if (end == std::string::npos) end = procs.size();
    const std::string line = procs.substr(at, end - at);
    at = end + 1;
    auto pid = parse_pid(line);
    if (!pid) continue;
    auto p = read(*pid);
    if (!p) continue;
    note_growth(*p, now, previous_);
    table.push_back(std::move(*p));
  }
  return table;
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
