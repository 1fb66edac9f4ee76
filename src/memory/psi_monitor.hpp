// PSI memory triggers: the kernel wakes lifeline (POLLPRI) when tasks stall on memory for
// longer than a threshold within a window, so pressure costs nothing to watch while idle.
// Also reads the pressure file's averages for display. A kernel without PSI
// (CONFIG_PSI off, or psi=0) is reported once by start(); the guard then relies on its
// MemAvailable sampling alone.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "memory/memory_config.hpp"
#include "memory/psi.hpp"

namespace lifeline::memory {

class PsiMonitor final : public Monitor {
 public:
  // `on_pressure("some"|"full")` runs on the loop each time a trigger fires.
  PsiMonitor(std::string path, PsiConfig config,
             std::function<void(std::string_view kind)> on_pressure);
  ~PsiMonitor() override;
  [[nodiscard]] std::string_view name() const override { return "psi"; }
  // An Error when no trigger could be registered (no PSI, no permission); the caller says so
  // once and goes on without.
  Status start(EventLoop& loop) override;
  void stop() override;
  // The file's current averages; nullopt when unreadable.
  [[nodiscard]] std::optional<Psi> read() const;
  // What was registered, e.g. "some 150000 2000000" (window rounded up to 2 s: no
  // CAP_SYS_RESOURCE). Empty before start.
  [[nodiscard]] const std::vector<std::string>& triggers() const { return triggers_; }
  [[nodiscard]] std::uint64_t fired() const { return fired_; }
  // A trigger's file went away (its cgroup was removed): this monitor is dead and should be
  // replaced once the cgroup exists again.
  [[nodiscard]] bool lost() const { return lost_; }

 private:
  struct Trigger {
    int fd = -1;
    EventSource source;
  };
  Expected<int> open_trigger(bool full, std::chrono::milliseconds stall);
  void on_trigger_lost(std::size_t index);

  std::string path_;
  PsiConfig config_;
  std::function<void(std::string_view)> on_pressure_;
  std::vector<Trigger> open_;
  std::vector<std::string> triggers_;
  std::uint64_t fired_ = 0;
  bool lost_ = false;
};

}  // namespace lifeline::memory
