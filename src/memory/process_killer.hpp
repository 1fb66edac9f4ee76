// Kills one process for the memory guard, the lmkd way: through a pidfd (so a recycled PID
// can never be hit), SIGTERM then SIGKILL after a grace period, and process_mrelease() after
// SIGKILL so the victim's memory comes back at once instead of when its last thread has
// finished exiting. One victim at a time; the pidfd's readability says it is gone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "agent/event_loop.hpp"
#include "lifeline/expected.hpp"

namespace lifeline::memory {

struct KillOutcome {
  pid_t pid = 0;
  std::string comm;
  bool sigkilled = false;                // SIGTERM was not enough (or there was no grace)
  bool mreleased = false;                // process_mrelease() reclaimed its memory
  std::string mrelease_error;            // why not, when it was tried and failed
  std::chrono::microseconds elapsed{0};  // first signal to gone
};

class ProcessKiller {
 public:
  ProcessKiller(EventLoop& loop, std::function<void(const KillOutcome&)> on_gone);
  ~ProcessKiller();
  ProcessKiller(const ProcessKiller&) = delete;
  ProcessKiller& operator=(const ProcessKiller&) = delete;
  Status start();  // prepares the grace timer and the exit watch

  // Opens a pidfd, checks the process still has `comm` (the PID was not reused since the
  // scan), then signals. grace 0: SIGKILL at once. An Error: nothing was signalled.
  Status kill(pid_t pid, std::string_view comm, std::chrono::milliseconds grace);
  // The kill level was reached during the grace: SIGKILL now.
  void escalate();
  [[nodiscard]] bool in_progress() const { return pidfd_ >= 0; }

 private:
  void send_sigkill();
  void on_exit();

  EventLoop& loop_;
  std::function<void(const KillOutcome&)> on_gone_;
  OneshotTimer grace_;
  EventSource exit_source_;
  int pidfd_ = -1;
  int idle_fd_ = -1;  // what the exit watch points at between kills
  KillOutcome current_;
  hal::MonoTime started_{};
};

}  // namespace lifeline::memory
