// Any bytes as /proc/net/{tcp,tcp6,udp,udp6}, /proc/PID/cgroup, /proc/PID/cmdline and an
// fd link: the exclusivity check's /proc parsers must never crash or hang, every socket
// they return has the asked protocol and a port from 1 to 65535, and a unit name they
// derive is one component of the cgroup path that ends in ".service" or ".scope".
//
// Input: the first byte picks TCP or UDP; the rest is the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exclusivity/proc_facts.hpp"

using namespace lifeline::exclusivity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto proto = (data[0] & 1) != 0 ? lifeline::PortProto::udp : lifeline::PortProto::tcp;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  for (const PortSocket& socket : parse_proc_net(text, proto)) {
    if (socket.proto != proto || socket.port == 0) std::abort();
  }
  const std::string cgroup = systemd_cgroup_of(text);
  for (const std::string& path : {cgroup, std::string(text)}) {
    const std::string unit = unit_of_cgroup(path);
    if (unit.empty()) continue;
    if (!(unit.ends_with(".service") || unit.ends_with(".scope"))) std::abort();
    if (unit.find('/') != std::string::npos || path.find(unit) == std::string::npos) std::abort();
  }
  const std::string line = cmdline_text(text);
  if (line.find('\0') != std::string::npos) std::abort();
  const std::string first = argv0(text);
  if (first.size() > text.size()) std::abort();
  (void)socket_inode(text);
  return 0;
}
