#include "memory/kmsg_oom.hpp"

#include <charconv>
#include <limits>
#include <system_error>
#include <utility>

namespace lifeline::memory {
namespace {

template <typename T>
std::optional<T> to_number(std::string_view text) {
  T value{};
  if (text.empty()) return std::nullopt;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Leading decimal digits of `text` (with an optional '-'), as T; nullopt if none or overflow.
template <typename T>
std::optional<T> leading_number(std::string_view text) {
  std::size_t n = 0;
  if (n < text.size() && text[n] == '-') ++n;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
  return to_number<T>(text.substr(0, n));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The kernel writes unprintable bytes of a message as \xHH (printk's devkmsg output).
std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      const int hi = hex_digit(text[i + 2]);
      const int lo = hex_digit(text[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Error bad(std::string what) {
  return Error{0, "kmsg record: " + std::move(what)};
}

// Value of "key" in text: from just after key up to the first of `stops` (or the end).
std::optional<std::string_view> after(std::string_view text, std::string_view key,
                                      std::string_view stops) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(at + key.size());
  return rest.substr(0, rest.find_first_of(stops));
}

}  // namespace

Expected<KmsgRecord> parse_kmsg_record(std::string_view record) {
  const auto semi = record.find(';');
  if (semi == std::string_view::npos) return bad("no ';' between header and text");
  std::string_view header = record.substr(0, semi);
  std::string_view body = record.substr(semi + 1);

  std::string_view fields[4];
  for (int i = 0; i < 4; ++i) {
    const auto comma = header.find(',');
    if (comma == std::string_view::npos && i < 3) {
      return bad("header has fewer than 4 comma-separated fields");
    }
    fields[i] = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
  }
  KmsgRecord out;
  const auto prio = to_number<int>(fields[0]);
  if (!prio || *prio < 0) return bad("priority is not a non-negative number");
  const auto seq = to_number<std::uint64_t>(fields[1]);
  if (!seq) return bad("sequence number is not a number");
  const auto usec = to_number<std::uint64_t>(fields[2]);
  if (!usec) return bad("timestamp is not a number");
  if (fields[3].empty()) return bad("flags field is empty");
  out.priority = *prio;
  out.seq = *seq;
  out.usec = *usec;

  const auto newline = body.find('\n');
  out.text = unescape(body.substr(0, newline));
  if (newline != std::string_view::npos) {
    std::string_view rest = body.substr(newline + 1);
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      if (line.empty() && end == std::string_view::npos) break;
      if (line.empty() || line.front() != ' ') {
        return bad("line after the text does not start with a space (not a continuation)");
      }
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  return out;
}

std::optional<OomKill> parse_oom_kill_line(std::string_view text) {
  static constexpr std::string_view kKilled = ": Killed process ";
  const auto at = text.find(kKilled);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view message = text.substr(0, at);
  std::string_view rest = text.substr(at + kKilled.size());
  const auto pid = leading_number<std::int32_t>(rest);
  if (!pid || *pid <= 0) return std::nullopt;
  const auto open = rest.find(" (");
  if (open == std::string_view::npos) return std::nullopt;
  // comm may itself contain ") ", so the name ends at the last ") " before the fields.
  auto close = rest.rfind(") total-vm:");
  if (close == std::string_view::npos) close = rest.rfind(')');
  if (close == std::string_view::npos || close < open + 2) return std::nullopt;

  OomKill kill;
  kill.has_kill_line = true;
  kill.pid = *pid;
  kill.comm = std::string(rest.substr(open + 2, close - (open + 2)));
  kill.memcg = message.find("Memory cgroup") != std::string_view::npos;
  const std::string_view fields = rest.substr(close + 1);
  // "key:NkB"; a number without its unit may have been cut short, so it does not count.
  auto kb = [&](std::string_view key) -> std::optional<std::uint64_t> {
    const auto at_key = fields.find(key);
    if (at_key == std::string_view::npos) return std::nullopt;
    const std::string_view value = fields.substr(at_key + key.size());
    const auto digits = value.find_first_not_of("0123456789");
    if (digits == std::string_view::npos || value.substr(digits, 2) != "kB") return std::nullopt;
    return to_number<std::uint64_t>(value.substr(0, digits));
  };
  kill.total_vm_kb = kb("total-vm:").value_or(0);
  kill.anon_rss_kb = kb("anon-rss:").value_or(0);
  kill.file_rss_kb = kb("file-rss:").value_or(0);
  kill.shmem_rss_kb = kb("shmem-rss:").value_or(0);
  if (const auto uid = after(fields, "UID:", " ,")) {
    kill.uid = to_number<std::uint32_t>(*uid).value_or(0);
  }
  if (const auto pgtables = kb("pgtables:")) {
    if (*pgtables <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      kill.pgtables_kb = static_cast<std::int64_t>(*pgtables);
    }
  }
  if (const auto adj = after(fields, "oom_score_adj:", " ,")) {
    kill.oom_score_adj = to_number<std::int32_t>(*adj).value_or(0);
  }
  return kill;
}

std::optional<OomKill> parse_oom_summary_line(std::string_view text) {
  static constexpr std::string_view kPrefix = "oom-kill:";
  const auto at = text.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view line = text.substr(at + kPrefix.size());
  // task=, pid= and uid= come last; comm and cgroup paths may contain commas.
  const auto pid_at = line.rfind(",pid=");
  if (pid_at == std::string_view::npos) return std::nullopt;
  const auto task_at = line.rfind(",task=", pid_at);
  if (task_at == std::string_view::npos) return std::nullopt;

  OomKill kill;
  kill.has_summary = true;
  const auto pid = leading_number<std::int32_t>(line.substr(pid_at + 5));
  if (!pid || *pid <= 0) return std::nullopt;
  kill.pid = *pid;
  kill.comm = std::string(line.substr(task_at + 6, pid_at - (task_at + 6)));
  if (const auto uid = after(line.substr(pid_at), ",uid=", ",")) {
    kill.uid = to_number<std::uint32_t>(*uid).value_or(0);
  }
  const std::string_view head = line.substr(0, task_at);
  if (const auto constraint = after(head, "constraint=", ",")) {
    kill.constraint = std::string(*constraint);
  }
  if (const auto memcg_at = head.find(",task_memcg="); memcg_at != std::string_view::npos) {
    kill.task_memcg = std::string(head.substr(memcg_at + 12));
    if (const auto oom_at = head.find(",oom_memcg="); oom_at < memcg_at) {
      kill.oom_memcg = std::string(head.substr(oom_at + 11, memcg_at - (oom_at + 11)));
    }
  }
  kill.memcg = kill.constraint == "CONSTRAINT_MEMCG" || !kill.oom_memcg.empty();
  return kill;
}

namespace {

// Fills the fields `half` knows into `into`.
void merge(OomKill& into, const OomKill& half) {
  if (half.has_kill_line) {
    into.total_vm_kb = half.total_vm_kb;
    into.anon_rss_kb = half.anon_rss_kb;
    into.file_rss_kb = half.file_rss_kb;
    into.shmem_rss_kb = half.shmem_rss_kb;
    into.pgtables_kb = half.pgtables_kb;
    into.oom_score_adj = half.oom_score_adj;
    into.uid = half.uid;
    into.comm = half.comm;
    into.seq = half.seq;
    into.usec = half.usec;
    into.has_kill_line = true;
  }
  if (half.has_summary) {
    into.constraint = half.constraint;
    into.task_memcg = half.task_memcg;
    into.oom_memcg = half.oom_memcg;
    if (!into.has_kill_line) {
      into.uid = half.uid;
      into.comm = half.comm;
      into.seq = half.seq;
      into.usec = half.usec;
    }
    into.has_summary = true;
  }
  into.memcg = into.memcg || half.memcg;
  if (into.invoker.empty()) into.invoker = half.invoker;
}

}  // namespace

void OomKillParser::emit_pending(std::vector<OomKill>& out) {
  if (!pending_) return;
  out.push_back(std::move(*pending_));
  pending_.reset();
}

std::vector<OomKill> OomKillParser::consume(const KmsgRecord& record) {
  std::vector<OomKill> out;
  const std::string_view text = record.text;
  if (const auto at = text.find(" invoked oom-killer:"); at != std::string_view::npos) {
    emit_pending(out);  // a new OOM event: the held half's partner is not coming
    invoker_ = std::string(text.substr(0, at));
    return out;
  }
  std::optional<OomKill> half = parse_oom_summary_line(text);
  if (!half) half = parse_oom_kill_line(text);
  if (!half) return out;
  half->seq = record.seq;
  half->usec = record.usec;
  half->invoker = invoker_;

  if (pending_ && pending_->pid == half->pid &&
      !((pending_->has_summary && half->has_summary) ||
        (pending_->has_kill_line && half->has_kill_line))) {
    merge(*pending_, *half);
    emit_pending(out);
    invoker_.clear();  // this event is complete; a later kill needs its own report
    return out;
  }
  emit_pending(out);
  pending_ = std::move(half);
  return out;
}

std::optional<OomKill> OomKillParser::flush() {
  std::optional<OomKill> out = std::move(pending_);
  pending_.reset();
  return out;
}

std::optional<std::uint64_t> parse_vmstat_oom_kill(std::string_view vmstat_text) {
  static constexpr std::string_view kKey = "oom_kill ";
  std::string_view rest = vmstat_text;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (line.substr(0, kKey.size()) == kKey) {
      return to_number<std::uint64_t>(line.substr(kKey.size()));
    }
    if (end == std::string_view::npos) break;
    rest = rest.substr(end + 1);
  }
  return std::nullopt;
}

}  // namespace lifeline::memory
