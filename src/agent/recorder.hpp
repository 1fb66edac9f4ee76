// The Recorder turns each Event into one black-box record, one structured journal entry
// and (with --console) one plain line, all from the same Record: no event is formatted
// twice by hand.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "agent/recent_events.hpp"
#include "blackbox/record.hpp"
#include "fault/event.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline {

namespace blackbox {
class AsyncWriter;
}

struct RecorderSinks {
  blackbox::AsyncWriter* blackbox = nullptr;  // null when the black box could not open
  bool journal = false;                       // sd-journal with LIFELINE_* fields
  std::FILE* console = nullptr;               // plain lines for a person (demo, tests)
};

class Recorder final : public EventSink {
 public:
  Recorder(const hal::Clock& clock, const std::string& boot_id_hex, RecorderSinks sinks);
  void record(Event event) override;
  // The black box half of a kept event: stamped and queued without allocating (nothing
  // without a black box). narrate_kept() is the rest, off the kill path; together they do
  // what record() does, each sink reached once.
  void record_kept(const KeptEvent& event) override;
  void narrate_kept(const KeptEvent& event) override;
  void set_blackbox(blackbox::AsyncWriter* writer) { sinks_.blackbox = writer; }
  // Called after each event is recorded (the agent refreshes systemd's STATUS= there).
  void on_recorded(std::function<void(const Event&)> listener) { listener_ = std::move(listener); }
  // Severe records are fsync'd before the writer moves on.
  static bool is_durable(const Event& event) { return is_durable(event.kind, event.severity); }
  static bool is_durable(EventKind kind, Severity severity);
  [[nodiscard]] const blackbox::BootId& boot_id() const { return boot_id_; }
  // The last 50 events in memory (the rescue page's history; no disk read on the loop).
  [[nodiscard]] const RecentEvents& recent() const { return recent_; }

 private:
  [[nodiscard]] blackbox::Stamp stamp() const;
  // Every sink but the black box: journal, console, recent history, listener.
  void narrate(const blackbox::Record& record);
  void send_to_journal(const Event& event) const;
  const hal::Clock& clock_;
  blackbox::BootId boot_id_{};
  RecorderSinks sinks_;
  std::function<void(const Event&)> listener_;
  RecentEvents recent_{50};
};

}  // namespace lifeline
