// Watches the control app's main process through a pidfd: the kernel makes the pidfd
// readable the moment the process exits, so death is seen in microseconds with no
// polling. Finding the process (pidfile and/or exe path) is retried on a timer only
// while no live process is known.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "config/config.hpp"

namespace lifeline::motion {

struct ProcessEvent {
  enum class Kind : std::uint8_t { started, exited } kind = Kind::started;
  pid_t pid = 0;
  std::string detail;
  // exited: CLOCK_REALTIME µs when the pidfd's callback began, and when the loop's wait
  // returned in that iteration (the difference is the loop's own delay).
  std::int64_t detected_us = 0;
  std::int64_t woke_us = 0;
};

// Pure: which PID the config points at, given what the pidfile says and what a
// process's exe is. Empty when none qualifies.
std::optional<pid_t> parse_pidfile(std::string_view text);

class AppProcessMonitor final : public Monitor {
 public:
  AppProcessMonitor(EventLoop& loop, AppConfig config,
                    std::function<void(const ProcessEvent&)> on_event);
  ~AppProcessMonitor() override;
  [[nodiscard]] std::string_view name() const override { return "app-process"; }
  Status start(EventLoop& loop) override;
  void stop() override;
  [[nodiscard]] std::optional<pid_t> pid() const { return pid_; }
  // Also called by the unit watcher when systemd reports a new MainPID.
  void watch_pid(pid_t pid, const std::string& how);

 private:
  void resolve();
  [[nodiscard]] std::optional<pid_t> find_candidate() const;
  void on_exit();

  EventLoop& loop_;
  AppConfig config_;
  std::function<void(const ProcessEvent&)> on_event_;
  std::optional<pid_t> pid_;
  int pidfd_ = -1;
  EventSource pidfd_source_;
  PeriodicTimer resolve_timer_;
  std::vector<EventSource> retired_;  // sources switched off inside their own callback
};

}  // namespace lifeline::motion
