#include "exclusivity/proc_scan.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "exclusivity/proc_facts.hpp"
#include "memory/proc_text.hpp"
#include "util/files.hpp"

namespace lifeline::exclusivity {

namespace {

std::optional<pid_t> pid_of(const char* name) {
  pid_t pid = 0;
  const char* end = name + std::strlen(name);
  const auto [at, error] = std::from_chars(name, end, pid);
  if (error != std::errc{} || at != end || pid <= 0) return std::nullopt;
  return pid;
}

std::string read_or_empty(const std::string& path, std::size_t max) {
  auto text = read_small_file(path, max);
  return text ? std::move(*text) : std::string{};
}

std::string link_target(const std::string& path) {
  char buffer[4096];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string{};
}

using Dir = std::unique_ptr<DIR, int (*)(DIR*)>;

// The wanted sockets by inode: only the roles' ports, so the fd walk matches few.
std::unordered_map<std::uint64_t, RolePort> wanted_sockets(const std::string& root,
                                                           const std::vector<RolePort>& ports) {
  std::unordered_map<std::uint64_t, RolePort> out;
  if (ports.empty()) return out;
  for (const char* name : {"tcp", "tcp6", "udp", "udp6"}) {
    const PortProto proto = name[0] == 't' ? PortProto::tcp : PortProto::udp;
    const std::string text = read_or_empty(root + "/net/" + name, 4 << 20);
    for (const PortSocket& s : parse_proc_net(text, proto)) {
      const RolePort port{s.proto, s.port};
      if (std::find(ports.begin(), ports.end(), port) != ports.end()) out[s.inode] = port;
    }
  }
  return out;
}

}  // namespace

Observation ProcScanner::scan(const std::vector<RolePort>& ports) const {
  Observation seen;
  const auto sockets = wanted_sockets(proc_root_, ports);
  Dir dir(opendir(proc_root_.c_str()), closedir);
  if (!dir) return seen;
  while (const dirent* entry = readdir(dir.get())) {
    const auto pid = pid_of(entry->d_name);
    if (!pid) continue;
    const std::string base = proc_root_ + "/" + entry->d_name;
    const std::string raw = read_or_empty(base + "/cmdline", 8192);
    if (raw.empty()) continue;  // a kernel thread or a zombie: runs nothing, holds nothing
    ProcessFact p;
    p.pid = *pid;
    p.ppid = memory::parse_ppid(read_or_empty(base + "/status", 8192));
    p.exe = link_target(base + "/exe");
    p.argv0 = argv0(raw);
    p.cmdline = cmdline_text(raw);
    p.cgroup = systemd_cgroup_of(read_or_empty(base + "/cgroup", 8192));
    p.unit = unit_of_cgroup(p.cgroup);
    if (!sockets.empty()) {
      Dir fds(opendir((base + "/fd").c_str()), closedir);
      while (fds) {
        const dirent* fd = readdir(fds.get());
        if (fd == nullptr) break;
        if (fd->d_name[0] == '.') continue;
        const auto inode = socket_inode(link_target(base + "/fd/" + fd->d_name));
        if (!inode) continue;
        const auto found = sockets.find(*inode);
        if (found == sockets.end()) continue;
        const PortHolder holder{found->second, p.pid};
        if (std::find(seen.holders.begin(), seen.holders.end(), holder) == seen.holders.end()) {
          seen.holders.push_back(holder);
        }
      }
    }
    seen.processes.push_back(std::move(p));
  }
  return seen;
}

}  // namespace lifeline::exclusivity
