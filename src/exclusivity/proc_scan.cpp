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
#include "util/proc.hpp"

namespace lifeline::exclusivity {

namespace {

using Dir = std::unique_ptr<DIR, int (*)(DIR*)>;

// The wanted sockets by inode: only the roles' ports, so the fd walk matches few.
std::unordered_map<std::uint64_t, RolePort> wanted_sockets(const std::string& root,
                                                           const std::vector<RolePort>& ports) {
  std::unordered_map<std::uint64_t, RolePort> out;
  if (ports.empty()) return out;
  for (const char* name : {"tcp", "tcp6", "udp", "udp6"}) {
    const PortProto proto = name[0] == 't' ? PortProto::tcp : PortProto::udp;
    const std::string text = read_file_or_empty(root + "/net/" + name, 4 << 20);
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
  for_each_pid(proc_root_, [&](pid_t pid) {
    const std::string base = proc_root_ + "/" + std::to_string(pid);
    const std::string raw = read_file_or_empty(base + "/cmdline", 8192);
    if (raw.empty()) return;  // a kernel thread or a zombie: runs nothing, holds nothing
    ProcessFact p;
    p.pid = pid;
    p.ppid = memory::parse_ppid(read_file_or_empty(base + "/status", 8192));
    p.exe = read_link(base + "/exe");
    p.argv0 = argv0(raw);
    p.cmdline = cmdline_text(raw);
    p.cgroup = systemd_cgroup_of(read_file_or_empty(base + "/cgroup", 8192));
    p.unit = unit_of_cgroup(p.cgroup);
    if (!sockets.empty()) {
      Dir fds(opendir((base + "/fd").c_str()), closedir);
      while (fds) {
        const dirent* fd = readdir(fds.get());
        if (fd == nullptr) break;
        if (fd->d_name[0] == '.') continue;
        const auto inode = socket_inode(read_link(base + "/fd/" + fd->d_name));
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
  });
  return seen;
}

}  // namespace lifeline::exclusivity
