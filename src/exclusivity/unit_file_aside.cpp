#include "exclusivity/unit_file_aside.hpp"

#include <fcntl.h>  // AT_FDCWD
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc 2.28+)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace lifeline::exclusivity {

namespace {

std::string join(std::string_view dir, std::string_view name) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string errno_text(int error) {
  return std::system_category().message(error);
}

// RENAME_NOREPLACE: a file that appeared at `to` meanwhile is never overwritten (EEXIST).
std::string rename_no_replace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return "";
  return "cannot rename " + from + " to " + to + ": " + errno_text(errno);
}

bool is_mask_symlink(const std::string& path) {
  char target[64] = {};
  const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 && std::string_view(target, static_cast<std::size_t>(n)) == "/dev/null";
}

}  // namespace

std::optional<std::string> mask_link_path(std::string_view mask_dir, std::string_view unit) {
  if (mask_dir.empty() || unit.empty() || unit == "." || unit == ".." ||
      unit.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return join(mask_dir, unit);
}

std::string moved_aside_path(std::string_view mask_dir, std::string_view unit) {
  return join(mask_dir, std::string(unit) + std::string(kMovedAsideSuffix));
}

AsideResult move_aside(const std::string& mask_dir, const std::string& unit) {
  AsideResult out;
  const auto link = mask_link_path(mask_dir, unit);
  if (!link) {
    out.error = "\"" + unit + "\" is not a unit file name";
    return out;
  }
  out.from = *link;
  out.to = moved_aside_path(mask_dir, unit);
  struct stat st {};
  if (::lstat(out.from.c_str(), &st) != 0) {
    if (errno != ENOENT) out.error = "cannot read " + out.from + ": " + errno_text(errno);
    return out;
  }
  if (!S_ISREG(st.st_mode)) return out;
  out.error = rename_no_replace(out.from, out.to);
  out.moved = out.error.empty();
  return out;
}

std::string put_back_blocker(const std::string& mask_dir, const std::string& unit) {
  const auto link = mask_link_path(mask_dir, unit);
  if (!link) return "\"" + unit + "\" is not a unit file name";
  const std::string& original = *link;
  const std::string aside = moved_aside_path(mask_dir, unit);
  struct stat st {};
  if (::lstat(aside.c_str(), &st) != 0) return "";
  if (::lstat(original.c_str(), &st) != 0 || is_mask_symlink(original)) return "";
  return "both " + original + " and " + aside +
         " exist: neither is overwritten; keep one of them (remove or rename the other) and "
         "release again";
}

AsideResult put_back(const std::string& mask_dir, const std::string& unit) {
  AsideResult out;
  const auto link = mask_link_path(mask_dir, unit);
  if (!link) {
    out.error = "\"" + unit + "\" is not a unit file name";
    return out;
  }
  out.from = moved_aside_path(mask_dir, unit);
  out.to = *link;
  struct stat st {};
  if (::lstat(out.from.c_str(), &st) != 0) {
    if (errno != ENOENT) out.error = "cannot read " + out.from + ": " + errno_text(errno);
    return out;
  }
  out.error = rename_no_replace(out.from, out.to);
  out.moved = out.error.empty();
  return out;
}

}  // namespace lifeline::exclusivity
