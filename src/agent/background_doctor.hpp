// `lifeline doctor` run by the agent at start, as a child process: this binary
// (/proc/self/exe) with `doctor --json`, at SCHED_OTHER and nice 10. Not on the loop: it
// reads hundreds of unit files and every process's /proc entry (tens of ms on a Pi, more
// from a cold SD card). Not in a thread either: the audit's few MB of heap would stay
// resident for good in the agent (mlockall keeps every touched page, and a locked arena
// cannot give pages back): measured 11.0 MB VmRSS / 4.8 MB RssAnon with a thread against
// 6.5 / 0.7 MB without. A child's memory goes with it. Its JSON comes back through a pipe
// the loop reads as it arrives; its end is seen through a pidfd.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"
#include "doctor/finding.hpp"

namespace lifeline {

struct DoctorResult {
  std::vector<doctor::Finding> findings;
  std::chrono::microseconds took{0};
  std::string priority;  // the child's, as it ran: "SCHED_OTHER nice 10"
  std::string error;     // "" when the child reported; else why there are no findings
};

struct DoctorChildRequest {
  std::string config_path;
  std::string app_unit;  // "" = doctor takes [motion.app] unit from the config
  std::chrono::seconds timeout{120};
};

class BackgroundDoctor {
 public:
  using Done = std::function<void(const DoctorResult& result)>;
  BackgroundDoctor() = default;
  BackgroundDoctor(const BackgroundDoctor&) = delete;
  BackgroundDoctor& operator=(const BackgroundDoctor&) = delete;
  ~BackgroundDoctor();  // a child still running is killed (SIGKILL) and reaped

  // Starts the child; `done` is called on the loop once it has ended (or was killed
  // after `timeout`).
  Status start(EventLoop& loop, const DoctorChildRequest& request, Done done);

 private:
  void on_output();
  void on_exit();
  void kill_child() const;
  void finish(const DoctorResult& result);

  pid_t child_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  EventSource out_source_;
  EventSource exit_source_;
  EventSource timeout_source_;
  std::string output_;
  std::string error_;
  std::chrono::steady_clock::time_point began_;
  Done done_;
};

}  // namespace lifeline
