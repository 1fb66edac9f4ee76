// What lifeline knows about a systemd unit's cgroup without asking systemd: the path it
// assumes when systemd cannot be asked, the D-Bus interface that holds a unit's
// ControlGroup property, and whether an answer is a usable path. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline {

// "/system.slice/UNIT": where a system service without Slice= runs.
std::string default_unit_cgroup(std::string_view unit);

// "/user.slice/user-UID.slice/user@UID.service": the cgroup of UID's service manager
// (systemd --user), below which every unit it runs has a cgroup named after the unit.
std::string user_manager_cgroup(std::uint32_t uid);
// ".../user@UID.service/app.slice/UNIT": where a user service without Slice= runs
// (systemd 247 and later; bookworm has 252).
std::string default_user_unit_cgroup(std::uint32_t uid, std::string_view unit);

// The interface of the unit's type that has ControlGroup ("org.freedesktop.systemd1.Service"
// for "x.service", Scope, Slice, Socket, Mount, Swap); nullopt for a type without one
// (target, timer, path, device, automount) or a name without a type.
std::optional<std::string_view> control_group_interface(std::string_view unit);

// systemd's ControlGroup value checked: "" (the unit has no cgroup: not running) or an
// absolute path below the cgroup mount without "." or ".." components.
Expected<std::string> checked_control_group(std::string_view value);

}  // namespace lifeline
