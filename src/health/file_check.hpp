// A heartbeat-file health check: the app proves it is alive by touching a file; the
// check passes while the file's mtime is younger than max_age. stat() on a local file
// does not block the loop.
#pragma once

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "config/config.hpp"
#include "watchdog/health_gate.hpp"

namespace lifeline {

class FileCheck final : public Monitor {
 public:
  FileCheck(HealthGate& gate, FileCheckConfig config) : gate_(gate), config_(std::move(config)) {}
  ~FileCheck() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return config_.name; }
  Status start(EventLoop& loop) override;
  void stop() override;

 private:
  void probe();
  HealthGate& gate_;
  FileCheckConfig config_;
  EventLoop* loop_ = nullptr;
  std::optional<CheckId> check_;
  PeriodicTimer timer_;
};

}  // namespace lifeline
