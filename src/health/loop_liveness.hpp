// The loop's own liveness as a health check: a named timer ticks at a quarter of the
// deadline and reports how late it ran. If a callback ever blocks the loop for longer
// than the deadline, the next tick reports failing and the gate closes.
#pragma once

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "watchdog/health_gate.hpp"

namespace lifeline {

class LoopLiveness final : public Monitor {
 public:
  LoopLiveness(HealthGate& gate, std::chrono::milliseconds deadline)
      : gate_(gate), deadline_(deadline) {}
  ~LoopLiveness() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "loop"; }
  Status start(EventLoop& loop) override;
  void stop() override;

 private:
  void tick();
  HealthGate& gate_;
  std::chrono::milliseconds deadline_;
  EventLoop* loop_ = nullptr;
  std::optional<CheckId> check_;
  hal::MonoTime expected_{};
  PeriodicTimer timer_;
};

}  // namespace lifeline
