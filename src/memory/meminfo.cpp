#include "memory/meminfo.hpp"

#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace lifeline::memory {
namespace {

struct Field {
  std::string_view key;
  std::uint64_t* out;
  bool seen = false;
};

// Reads "Key:<spaces>N[ kB]" (colon form) or "key N" (space form) lines; fills the first
// occurrence of each wanted key; every wanted key must appear with a valid number.
Status fill(std::string_view text, std::span<Field> fields, bool colon, bool kb,
            std::string_view file) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const auto sep = line.find(colon ? ':' : ' ');
    if (sep == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, sep);
    for (Field& field : fields) {
      if (field.seen || key != field.key) continue;
      std::string_view value = line.substr(sep + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      if (kb) {
        if (value.size() < 3 || value.substr(value.size() - 3) != " kB") {
          return Error{0, std::string(file) + ": " + std::string(key) + " is not in kB"};
        }
        value.remove_suffix(3);
      }
      const char* stop = value.data() + value.size();
      auto [ptr, ec] = std::from_chars(value.data(), stop, *field.out);
      if (value.empty() || ec != std::errc() || ptr != stop) {
        return Error{0, std::string(file) + ": " + std::string(key) + " is not a number"};
      }
      field.seen = true;
    }
  }
  for (const Field& field : fields) {
    if (!field.seen) {
      return Error{0, std::string(file) + ": no " + std::string(field.key) + " line"};
    }
  }
  return ok_status();
}

}  // namespace

Expected<MemInfo> parse_meminfo(std::string_view text) {
  MemInfo info;
  Field fields[] = {{"MemTotal", &info.mem_total_kb},
                    {"MemAvailable", &info.mem_available_kb},
                    {"SwapTotal", &info.swap_total_kb},
                    {"SwapFree", &info.swap_free_kb}};
  if (auto status = fill(text, fields, true, true, "/proc/meminfo"); !status) {
    return status.error();
  }
  return info;
}

Expected<ProcMemory> parse_proc_status_memory(std::string_view text) {
  ProcMemory mem;
  Field fields[] = {{"VmRSS", &mem.vm_rss_kb},
                    {"RssAnon", &mem.rss_anon_kb},
                    {"RssFile", &mem.rss_file_kb},
                    {"RssShmem", &mem.rss_shmem_kb}};
  if (auto status = fill(text, fields, true, true, "/proc/PID/status"); !status) {
    return status.error();
  }
  return mem;
}

Expected<CgroupMemoryStat> parse_cgroup_memory_stat(std::string_view text) {
  CgroupMemoryStat stat;
  Field fields[] = {{"anon", &stat.anon_bytes}, {"file", &stat.file_bytes}};
  if (auto status = fill(text, fields, false, false, "memory.stat"); !status) {
    return status.error();
  }
  return stat;
}

}  // namespace lifeline::memory
