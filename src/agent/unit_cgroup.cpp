#include "agent/unit_cgroup.hpp"

#include <array>
#include <cerrno>
#include <string>
#include <utility>

namespace lifeline {

std::string default_unit_cgroup(std::string_view unit) {
  return "/system.slice/" + std::string(unit);
}

std::string user_manager_cgroup(std::uint32_t uid) {
  const std::string id = std::to_string(uid);
  return "/user.slice/user-" + id + ".slice/user@" + id + ".service";
}

std::string default_user_unit_cgroup(std::uint32_t uid, std::string_view unit) {
  return user_manager_cgroup(uid) + "/app.slice/" + std::string(unit);
}

std::optional<std::string_view> control_group_interface(std::string_view unit) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTypes{{
      {".service", "org.freedesktop.systemd1.Service"},
      {".scope", "org.freedesktop.systemd1.Scope"},
      {".slice", "org.freedesktop.systemd1.Slice"},
      {".socket", "org.freedesktop.systemd1.Socket"},
      {".mount", "org.freedesktop.systemd1.Mount"},
      {".swap", "org.freedesktop.systemd1.Swap"},
  }};
  for (const auto& [suffix, interface] : kTypes) {
    if (unit.size() > suffix.size() && unit.ends_with(suffix)) return interface;
  }
  return std::nullopt;
}

Expected<std::string> checked_control_group(std::string_view value) {
  if (value.empty()) return std::string();
  if (value.front() != '/') {
    return Error{EINVAL, "ControlGroup \"" + std::string(value) + "\" is not an absolute path"};
  }
  std::string_view rest = value.substr(1);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part == "." || part == "..") {
      return Error{EINVAL, "ControlGroup \"" + std::string(value) + "\" has a . or .. component"};
    }
    for (const char c : part) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error{EINVAL, "ControlGroup has a control character"};
      }
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return std::string(value);
}

}  // namespace lifeline
