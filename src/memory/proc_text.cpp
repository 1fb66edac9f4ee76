#include "memory/proc_text.hpp"

#include "util/proc.hpp"

#include <charconv>
#include <limits>

namespace lifeline::memory {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<std::uint64_t> number(std::string_view s) {
  s = trim(s);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// Calls `line` for each line of `text`.
template <typename F>
void for_each_line(std::string_view text, F line) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    line(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// Calls `pair(key, value)` for each "key value" line with a decimal value (/proc/vmstat,
// memory.stat); other lines are skipped.
template <typename F>
void for_each_counter(std::string_view text, F pair) {
  for_each_line(text, [&](std::string_view line) {
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return;
    if (const auto value = number(line.substr(space + 1))) pair(line.substr(0, space), *value);
  });
}

}  // namespace

VmStat parse_vmstat(std::string_view text) {
  VmStat out;
  for_each_counter(text, [&](std::string_view key, std::uint64_t value) {
    if (key == "workingset_refault" || key == "workingset_refault_anon" ||
        key == "workingset_refault_file") {
      out.refaults += value;
    } else if (key == "oom_kill") {
      out.oom_kill = value;
      out.has_oom_kill = true;
    }
  });
  return out;
}

std::string memory_cgroup_of(std::string_view text) {
  return cgroup_path_of(text, "memory");
}

std::optional<std::uint64_t> parse_memory_limit(std::string_view text) {
  if (trim(text) == "max") return std::nullopt;
  const auto value = number(text);
  // v1 reports "no limit" as PAGE_COUNTER_MAX pages: about 2^63 rounded to a page.
  constexpr std::uint64_t kUnlimited = std::uint64_t{1} << 62;
  if (!value || *value >= kUnlimited) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_counter(std::string_view text) {
  return number(text);
}

std::uint64_t parse_inactive_file(std::string_view text) {
  std::uint64_t v1 = 0;
  std::uint64_t v2 = 0;
  bool has_v1 = false;
  for_each_counter(text, [&](std::string_view key, std::uint64_t value) {
    if (key == "total_inactive_file") {
      v1 = value;
      has_v1 = true;
    } else if (key == "inactive_file") {
      v2 = value;
    }
  });
  return has_v1 ? v1 : v2;
}

int parse_ppid(std::string_view status_text) {
  int ppid = 0;
  for_each_line(status_text, [&](std::string_view line) {
    if (!line.starts_with("PPid:")) return;
    const auto value = number(line.substr(5));
    if (value && *value <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
      ppid = static_cast<int>(*value);
    }
  });
  return ppid;
}

}  // namespace lifeline::memory
