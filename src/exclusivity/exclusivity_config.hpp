// [exclusivity] and its [[exclusivity.role]] tables: what may exist once on the robot.
// Defaults live here; docs/configuration.md lists them (checked by ConfigSchema tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace lifeline {

enum class PortProto : std::uint8_t { tcp, udp };

// "tcp/8554": TCP counts a listening socket, UDP a bound one; IPv4 and IPv6 alike.
struct RolePort {
  PortProto proto = PortProto::tcp;
  std::uint16_t port = 0;
  bool operator==(const RolePort&) const = default;
};

// "report" raises a fault and records; "stop" also asks systemd to stop the duplicate unit;
// "mask" stops it and masks its unit file, so neither enable, a preset nor a reboot brings
// it back (until `lifeline exclusivity release UNIT`).
enum class ExclusivityMode : std::uint8_t { report, stop, mask };

inline const char* mode_text(ExclusivityMode mode) {
  return mode == ExclusivityMode::report ? "report"
         : mode == ExclusivityMode::stop ? "stop"
                                         : "mask";
}

struct RoleConfig {
  std::string name;
  std::string unit;                   // the owner, e.g. "avatar-tank.service"
  std::vector<RolePort> ports;        // owned by the unit's processes only
  std::vector<std::string> binaries;  // absolute executable paths or program names
  std::uint32_t max_instances = 1;    // running instances allowed per binary
  ExclusivityMode mode = ExclusivityMode::report;
  bool operator==(const RoleConfig&) const = default;
};

struct ExclusivityConfig {
  // The safety sweep: checks are driven by systemd's unit signals; the sweep finds what
  // no signal announces (a stray process started outside any unit) and covers a lost bus.
  std::chrono::milliseconds interval{60000};
  std::vector<RoleConfig> roles;  // none = the capability is off
  // Where mode "mask" puts its /dev/null symlinks. A hand-installed unit file here is in
  // the symlink's way (systemd will not replace a regular file), so it is moved aside to
  // UNIT.lifeline-masked first. A setting so tests can point it at a temporary directory.
  std::string mask_dir = "/etc/systemd/system";
  bool operator==(const ExclusivityConfig&) const = default;
};

// "tcp/8554"
inline std::string port_text(const RolePort& port) {
  return std::string(port.proto == PortProto::tcp ? "tcp/" : "udp/") + std::to_string(port.port);
}

}  // namespace lifeline
