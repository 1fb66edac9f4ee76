// The exclusivity monitor's I/O: reads who holds which port and which programs run where
// from /proc, into an Observation for the pure policy (conflicts.hpp). Sockets come from
// /proc/net/{tcp,tcp6,udp,udp6}; a socket's inode is matched to its processes through the
// "socket:[N]" links in /proc/PID/fd. One scan of a few hundred processes takes a few
// milliseconds, so it runs on a timer source on the loop.
#pragma once

#include <string>
#include <vector>

#include "exclusivity/conflicts.hpp"

namespace lifeline::exclusivity {

class ProcScanner {
 public:
  explicit ProcScanner(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}
  // Every user-space process, and the holders of `ports` (only those are looked up).
  [[nodiscard]] Observation scan(const std::vector<RolePort>& ports) const;

 private:
  std::string proc_root_;
};

}  // namespace lifeline::exclusivity
