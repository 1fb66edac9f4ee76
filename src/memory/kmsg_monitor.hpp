// Reads the kernel log (/dev/kmsg) on the loop and turns the OOM killer's report into
// OomKill values: the victim the kernel chose cannot log its own death, the kernel can.
// Starts at the end of the log (or at the start with `backlog`), never blocks, and counts
// records the kernel overwrote before they were read.
#pragma once

#include <functional>
#include <string>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "memory/kmsg_oom.hpp"

namespace lifeline::memory {

class KmsgMonitor final : public Monitor {
 public:
  KmsgMonitor(std::string path, bool backlog, std::function<void(const OomKill&)> on_kill);
  ~KmsgMonitor() override;
  [[nodiscard]] std::string_view name() const override { return "kmsg"; }
  Status start(EventLoop& loop) override;
  void stop() override;
  [[nodiscard]] std::uint64_t records_read() const { return records_; }
  [[nodiscard]] std::uint64_t records_missed() const { return missed_; }
  [[nodiscard]] std::uint64_t kills_seen() const { return kills_; }

 private:
  void drain();
  void emit(const OomKill& kill);

  std::string path_;
  bool backlog_;
  std::function<void(const OomKill&)> on_kill_;
  int fd_ = -1;
  EventSource source_;
  OneshotTimer settle_;  // a half report is emitted alone only after the log went quiet
  OomKillParser parser_;
  std::uint64_t records_ = 0;
  std::uint64_t missed_ = 0;
  std::uint64_t kills_ = 0;
};

}  // namespace lifeline::memory
