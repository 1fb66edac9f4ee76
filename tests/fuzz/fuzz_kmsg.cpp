// Any bytes as a /dev/kmsg record stream, a pressure file, /proc/meminfo, /proc/PID/status,
// memory.stat, /proc/vmstat, /proc/PID/cgroup and cgroup limit files: parsing must never crash,
// hang or leak, every error has a message, and every emitted OOM kill has a positive pid.
//
// Input: records separated by NUL bytes (a read() from /dev/kmsg returns one record); the
// whole input is also given to every whole-file parser.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "memory/kmsg_oom.hpp"
#include "memory/meminfo.hpp"
#include "memory/proc_text.hpp"
#include "memory/psi.hpp"

namespace {

using namespace lifeline::memory;

void check_kill(const OomKill& kill) {
  if (kill.pid <= 0 || !(kill.has_summary || kill.has_kill_line)) std::abort();
}

void check_error(const lifeline::Error& error) {
  if (error.message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  OomKillParser parser;
  std::string_view rest = input;
  while (true) {
    const auto end = rest.find('\0');
    auto record = parse_kmsg_record(rest.substr(0, end));
    if (record) {
      for (const OomKill& kill : parser.consume(*record)) check_kill(kill);
      if (auto alone = parse_oom_kill_line(record->text)) check_kill(*alone);
      if (auto alone = parse_oom_summary_line(record->text)) check_kill(*alone);
    } else {
      check_error(record.error());
    }
    if (end == std::string_view::npos) break;
    rest = rest.substr(end + 1);
  }
  if (auto kill = parser.flush()) check_kill(*kill);

  if (auto psi = parse_psi(input)) {
    if (psi->some.avg10 < 0 || psi->some.avg10 > 100) std::abort();
  } else {
    check_error(psi.error());
  }
  if (size >= 9) {
    const auto stall = static_cast<std::int64_t>(data[0] | (data[1] << 8) | (data[2] << 16));
    const auto window = static_cast<std::int64_t>(data[3] | (data[4] << 8) | (data[5] << 16)) * 4;
    auto trigger = format_psi_trigger((data[6] & 1) != 0, std::chrono::microseconds(stall),
                                      std::chrono::microseconds(window));
    if (trigger && (window < 500'000 || window > 10'000'000 || stall <= 0 || stall > window)) {
      std::abort();
    }
  }
  if (auto info = parse_meminfo(input); !info) check_error(info.error());
  if (auto status = parse_proc_status_memory(input); !status) check_error(status.error());
  if (auto stat = parse_cgroup_memory_stat(input); !stat) check_error(stat.error());
  (void)parse_vmstat_oom_kill(input);
  // The memory guard's small-file parsers (proc_text.hpp).
  const VmStat vm = parse_vmstat(input);
  if (vm.oom_kill != 0 && !vm.has_oom_kill) std::abort();
  const std::string cgroup = memory_cgroup_of(input);
  if (cgroup.size() > input.size()) std::abort();
  if (auto limit = parse_memory_limit(input); limit && *limit >= (std::uint64_t{1} << 62)) {
    std::abort();  // "no limit" must never come back as a number
  }
  (void)parse_counter(input);
  (void)parse_inactive_file(input);
  if (parse_ppid(input) < 0) std::abort();
  return 0;
}
