// Parsers for the /proc text the exclusivity check reads. Pure: callers read the files and
// pass the text, so unit tests use real lines copied from a machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exclusivity/exclusivity_config.hpp"

namespace lifeline::exclusivity {

// One socket that holds a port: a TCP socket in LISTEN, or an unconnected (bound) UDP one.
struct PortSocket {
  PortProto proto = PortProto::tcp;
  std::uint16_t port = 0;
  std::uint64_t inode = 0;  // matches the "socket:[N]" link in /proc/PID/fd
  bool operator==(const PortSocket&) const = default;
};

// The rows of /proc/net/{tcp,tcp6,udp,udp6} (proc(5)) that hold a port. Rows in other
// states (established, time-wait, connected UDP) and malformed rows are skipped.
std::vector<PortSocket> parse_proc_net(std::string_view text, PortProto proto);

// The cgroup path of a process from /proc/PID/cgroup: the v1 "name=systemd" line (systemd's
// own hierarchy on a legacy or hybrid box), else the v2 "0::" line; "" when neither.
std::string systemd_cgroup_of(std::string_view proc_cgroup_text);

// The unit a cgroup path belongs to: its last component that ends in ".service" or
// ".scope" ("/system.slice/mediamtx.service/x" -> "mediamtx.service"); "" for none.
std::string unit_of_cgroup(std::string_view cgroup_path);

// /proc/PID/cmdline (NUL-separated) as one line, arguments joined by spaces.
std::string cmdline_text(std::string_view raw);
// argv[0] of /proc/PID/cmdline; "" when empty.
std::string argv0(std::string_view raw);

// "socket:[12345]" (a /proc/PID/fd link) -> 12345.
std::optional<std::uint64_t> socket_inode(std::string_view link);

}  // namespace lifeline::exclusivity
