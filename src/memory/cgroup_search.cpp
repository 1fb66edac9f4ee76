#include "memory/cgroup_search.hpp"

#include <dirent.h>
#include <pwd.h>

#include <charconv>
#include <deque>
#include <utility>
#include <vector>

namespace lifeline::memory {

namespace {

// The subdirectories of `dir` (a cgroup's children), without "." and "..".
std::vector<std::string> child_cgroups(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

}  // namespace

std::optional<std::string> find_cgroup_named(const std::string& mount, const std::string& below,
                                             std::string_view name, int depth) {
  std::deque<std::pair<std::string, int>> queue{{below, 0}};
  while (!queue.empty()) {
    auto [cgroup, level] = std::move(queue.front());
    queue.pop_front();
    if (level >= depth) continue;
    for (const std::string& child : child_cgroups(mount + cgroup)) {
      std::string path = cgroup;
      path.append("/").append(child);
      if (child == name) return path;
      queue.emplace_back(path, level + 1);
    }
  }
  return std::nullopt;
}

std::optional<uid_t> user_id(const std::string& user) {
  if (user.empty()) return std::nullopt;
  uid_t uid = 0;
  const auto [end, error] = std::from_chars(user.data(), user.data() + user.size(), uid);
  if (error == std::errc{} && end == user.data() + user.size()) return uid;
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->pw_uid;
}

}  // namespace lifeline::memory
