// Where a user unit runs: systemd names every unit's cgroup after the unit, so a unit of
// a user's service manager (systemd --user, which the system manager cannot be asked
// about) is the directory of that name below the manager's cgroup, in app.slice,
// session.slice, background.slice or a slice of its own.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace lifeline::memory {

// The cgroup (a path below `mount`, e.g. "/user.slice/.../app.slice/robot.service") of the
// first directory named `name` found breadth-first below mount + `below`, at most `depth`
// levels down; nullopt when there is none (not running, or `below` does not exist).
std::optional<std::string> find_cgroup_named(const std::string& mount, const std::string& below,
                                             std::string_view name, int depth);

// A user's UID: `user` is a number, or a name looked up in the user database
// (getpwnam_r); nullopt when there is no such user.
std::optional<uid_t> user_id(const std::string& user);

}  // namespace lifeline::memory
