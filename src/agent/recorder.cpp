#include "agent/recorder.hpp"

#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <cctype>

#include "blackbox/async_writer.hpp"
#include "blackbox/query.hpp"
#include "fault/kept_event.hpp"

namespace lifeline {

namespace {

int syslog_priority(Severity severity) {
  switch (severity) {
    case Severity::info:
      return LOG_INFO;
    case Severity::warning:
      return LOG_WARNING;
    case Severity::error:
      return LOG_ERR;
    case Severity::critical:
      return LOG_CRIT;
  }
  return LOG_NOTICE;
}

std::string journal_key(const std::string& key) {
  std::string out = "LIFELINE_";
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) != 0 ? static_cast<char>(std::toupper(u)) : '_');
  }
  return out;
}

std::int64_t micros(auto time_point) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time_point.time_since_epoch())
      .count();
}

}  // namespace

Recorder::Recorder(const hal::Clock& clock, const std::string& boot_id_hex, RecorderSinks sinks)
    : clock_(clock), sinks_(sinks) {
  if (auto id = blackbox::parse_boot_id(boot_id_hex)) boot_id_ = *id;
}

bool Recorder::is_durable(EventKind kind, Severity severity) {
  switch (kind) {
    case EventKind::agent_stopped:
    case EventKind::reset_recorded:
    case EventKind::lockout_entered:
    case EventKind::lockout_cleared:
    case EventKind::watchdog_petting_stopped:
    case EventKind::safe_state_entered:
    case EventKind::memory_snapshot:  // written before a kill, and read after a crash
    case EventKind::memory_relief:
    case EventKind::oom_kill_seen:
      return true;
    default:
      return severity >= Severity::error;
  }
}

blackbox::Stamp Recorder::stamp() const {
  return {0, micros(clock_.wall_now()), micros(clock_.now()), boot_id_};
}

void Recorder::record(Event event) {
  const blackbox::Stamp now = stamp();
  blackbox::Record record{0, now.realtime_us, now.monotonic_us, now.boot_id, std::move(event)};
  narrate(record);
  if (sinks_.blackbox != nullptr) {
    const bool durable = is_durable(record.event);
    sinks_.blackbox->submit(std::move(record), durable);
  }
}

void Recorder::record_kept(const KeptEvent& event) {
  if (sinks_.blackbox == nullptr) return;  // narrate_kept() still reaches everything else
  const blackbox::Stamp now = stamp();
  sinks_.blackbox->submit_kept(now.realtime_us, now.monotonic_us, now.boot_id, event,
                               is_durable(event.kind(), event.severity()));
}

void Recorder::narrate_kept(const KeptEvent& event) {
  // Stamped now, when the line is printed; the black box record has the earlier time.
  const blackbox::Stamp now = stamp();
  narrate({0, now.realtime_us, now.monotonic_us, now.boot_id, event.to_event()});
}

void Recorder::narrate(const blackbox::Record& record) {
  if (sinks_.journal) send_to_journal(record.event);
  if (sinks_.console != nullptr) {
    std::fprintf(sinks_.console, "%s\n", blackbox::format_text(record).c_str());
    std::fflush(sinks_.console);
  }
  recent_.add(record.realtime_us, record.event);
  if (listener_) listener_(record.event);
}

void Recorder::send_to_journal(const Event& event) const {
  std::vector<std::string> lines;
  lines.reserve(6 + event.fields.size());
  lines.push_back("MESSAGE=" + event.message);
  lines.push_back("PRIORITY=" + std::to_string(syslog_priority(event.severity)));
  lines.push_back("SYSLOG_IDENTIFIER=lifeline");
  lines.push_back("LIFELINE_EVENT=" + event_kind_name(event.kind));
  lines.push_back("LIFELINE_SEVERITY=" + std::string(severity_name(event.severity)));
  if (event.fault) {
    lines.push_back("LIFELINE_FAULT=" + std::string(fault_info(*event.fault).name));
    lines.push_back("LIFELINE_FAULT_CODE=" + std::to_string(fault_code(*event.fault)));
  }
  for (const auto& field : event.fields) {
    lines.push_back(journal_key(field.key) + "=" + field.value);
  }
  std::vector<iovec> iov;
  iov.reserve(lines.size());
  for (auto& line : lines) iov.push_back(iovec{line.data(), line.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));  // best effort: no journal in tests
}

}  // namespace lifeline
