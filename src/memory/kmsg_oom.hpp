// Kernel log records (/dev/kmsg) and the OOM killer's report in them.
//
// Pure parsing: callers read the device and feed each record here. Nothing is wired into
// the agent yet (see docs/memory-guard.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifeline/expected.hpp"

namespace lifeline::memory {

// One /dev/kmsg record: "prio,seq,usec,flags[,more...];text" then optional continuation
// lines that start with a space (the record's KEY=value dictionary, ignored here).
struct KmsgRecord {
  int priority = 0;        // syslog facility * 8 + level, as the kernel wrote it
  std::uint64_t seq = 0;   // kernel sequence number
  std::uint64_t usec = 0;  // CLOCK_MONOTONIC microseconds at logging time
  std::string text;        // the message, with the kernel's \xHH escapes decoded
};

// Parses one record (a single read() from /dev/kmsg, or one line of a saved dump).
// Never throws; every malformed input yields an Error naming what is wrong.
Expected<KmsgRecord> parse_kmsg_record(std::string_view record);

// The syslog level (0 emerg .. 7 debug) of a record's priority field.
inline int kmsg_level(int priority) {
  return priority & 7;
}

// One OOM kill, assembled from the summary line ("oom-kill:constraint=...,task=...,pid=...")
// and the kill line ("...: Killed process PID (comm) total-vm:..."). Either half may be
// missing (the summary is rate limited with the rest of the report); the has_* flags say
// which were seen, and fields only the missing half carries keep their defaults.
struct OomKill {
  std::int32_t pid = 0;
  std::string comm;
  std::uint64_t total_vm_kb = 0;
  std::uint64_t anon_rss_kb = 0;
  std::uint64_t file_rss_kb = 0;
  std::uint64_t shmem_rss_kb = 0;
  std::uint32_t uid = 0;
  std::int64_t pgtables_kb = -1;  // -1: not reported
  std::int32_t oom_score_adj = 0;
  std::string constraint;  // CONSTRAINT_NONE, CONSTRAINT_CPUSET, CONSTRAINT_MEMORY_POLICY,
                           // CONSTRAINT_MEMCG; empty without a summary line
  std::string task_memcg;  // the victim's memory cgroup
  std::string oom_memcg;   // the cgroup whose limit was hit (memcg OOM only)
  bool memcg = false;      // a cgroup limit, not the whole machine, ran out
  std::uint64_t seq = 0;   // of the kill line if seen, else of the summary
  std::uint64_t usec = 0;
  std::string invoker;  // comm of the task that invoked the killer, if its line was seen
  bool has_summary = false;
  bool has_kill_line = false;
};

// Consumes records in kernel order and emits each OOM kill once. The two lines of one kill
// are matched by pid, in either order. A half is held until its partner arrives, another
// kill's line or a new "invoked oom-killer" line shows it will not, or flush() is called
// (call it when the device has no more records to read).
class OomKillParser {
 public:
  // Returns the kills this record completed (usually none, sometimes one, rarely two).
  std::vector<OomKill> consume(const KmsgRecord& record);
  // Emits a held half-record, if any.
  std::optional<OomKill> flush();

 private:
  void emit_pending(std::vector<OomKill>& out);
  std::optional<OomKill> pending_;
  std::string invoker_;
};

// The "Killed process" line alone; nullopt if `text` is not one.
std::optional<OomKill> parse_oom_kill_line(std::string_view text);
// The "oom-kill:" summary line alone; nullopt if `text` is not one.
std::optional<OomKill> parse_oom_summary_line(std::string_view text);

// The cumulative kernel OOM kill count: the "oom_kill N" line of /proc/vmstat (4.13+).
std::optional<std::uint64_t> parse_vmstat_oom_kill(std::string_view vmstat_text);

}  // namespace lifeline::memory
