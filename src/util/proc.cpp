#include "util/proc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>

#include "util/files.hpp"

namespace lifeline {

std::optional<pid_t> parse_pid(std::string_view name) {
  pid_t pid = 0;
  const char* end = name.data() + name.size();
  const auto [at, error] = std::from_chars(name.data(), end, pid);
  if (error != std::errc{} || at != end || pid <= 0) return std::nullopt;
  return pid;
}

void for_each_pid(const std::string& proc_root, const std::function<void(pid_t)>& visit) {
  const int dir = ::open(proc_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  std::array<char, 8192> entries{};
  std::array<pid_t, 256> pids{};
  while (const std::size_t n = next_pids(dir, entries, pids)) {
    for (std::size_t i = 0; i < n; ++i) visit(pids[i]);
  }
  ::close(dir);
}

std::string read_file_or_empty(const std::string& path, std::size_t max_bytes) {
  auto text = read_small_file(path, max_bytes);
  return text ? std::move(*text) : std::string{};
}

std::string read_link(const std::string& path) {
  char buffer[4096];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string{};
}

std::string_view cgroup_path_view(std::string_view text, std::string_view v1_controller) {
  std::string_view v2;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    // hierarchy-ID:controller-list:cgroup-path
    const std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view path = line.substr(second + 1);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    if (line.substr(0, first) == "0" && controllers.empty()) {
      v2 = path;
      continue;
    }
    while (!controllers.empty()) {
      const std::size_t comma = controllers.find(',');
      if (controllers.substr(0, comma) == v1_controller) return path;
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  }
  return v2;
}

std::string cgroup_path_of(std::string_view text, std::string_view v1_controller) {
  return std::string(cgroup_path_view(text, v1_controller));
}

std::size_t next_pids(int proc_dir_fd, std::span<char> buffer, std::span<pid_t> pids) {
  // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name[].
  constexpr std::size_t kNameAt = 19;
  std::size_t found = 0;
  while (found == 0) {
    // Ask for no more entries than `pids` can take: each is at least 24 bytes.
    const std::size_t ask = std::min(buffer.size(), pids.size() * 24);
    const long n = ::syscall(SYS_getdents64, proc_dir_fd, buffer.data(), ask);
    if (n <= 0) return 0;  // the end, or an error: either way nothing more to list
    for (long at = 0; at < n;) {
      const char* entry = buffer.data() + at;
      std::uint16_t length = 0;
      std::memcpy(&length, entry + 16, sizeof length);
      if (length == 0) break;
      if (auto pid = parse_pid(std::string_view(entry + kNameAt))) {
        if (found < pids.size()) pids[found++] = *pid;
      }
      at += length;
    }
  }
  return found;
}

std::string process_comm(const std::string& proc_root, pid_t pid) {
  std::string comm = read_file_or_empty(proc_root + "/" + std::to_string(pid) + "/comm", 64);
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' ')) comm.pop_back();
  return comm;
}

std::map<std::string, std::vector<FileHolder>> open_file_holders(
    const std::vector<std::string>& paths, const std::string& proc_root) {
  std::map<std::string, std::vector<FileHolder>> holders;
  if (paths.empty()) return holders;
  for_each_pid(proc_root, [&](pid_t pid) {
    const std::string base = proc_root + "/" + std::to_string(pid);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir((base + "/fd").c_str()), &::closedir);
    if (!dir) return;
    std::vector<std::string> seen;  // one entry per process, however many fds it has
    // readdir() is safe here: each call has its own DIR stream.
    while (const dirent* entry = ::readdir(dir.get())) {  // NOLINT(concurrency-mt-unsafe)
      const std::string target = read_link(base + "/fd/" + entry->d_name);
      if (target.empty() || std::find(paths.begin(), paths.end(), target) == paths.end() ||
          std::find(seen.begin(), seen.end(), target) != seen.end()) {
        continue;
      }
      seen.push_back(target);
      const std::string comm = process_comm(proc_root, pid);
      holders[target].push_back(FileHolder{pid, comm.empty() ? "?" : comm});
    }
  });
  return holders;
}

}  // namespace lifeline
