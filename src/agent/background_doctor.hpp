// `lifeline doctor` run by the agent at start. It reads hundreds of unit files and every
// process's entry in /proc: tens of milliseconds on a Pi, cold from the SD card more,
// which the loop (the motor stop path) must never wait for. So it runs once on a worker
// thread, and the findings come back to the loop through an eventfd.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "agent/event_loop.hpp"
#include "doctor/doctor_run.hpp"
#include "doctor/finding.hpp"

namespace lifeline {

struct DoctorResult {
  std::vector<doctor::Finding> findings;
  std::chrono::microseconds took{0};
  std::string priority;  // the worker's, as it ran: "SCHED_OTHER nice 19"
};

class BackgroundDoctor {
 public:
  using Done = std::function<void(const DoctorResult& result)>;
  BackgroundDoctor() = default;
  BackgroundDoctor(const BackgroundDoctor&) = delete;
  BackgroundDoctor& operator=(const BackgroundDoctor&) = delete;
  ~BackgroundDoctor();  // waits for a run in progress (a bounded read of local files)

  // Starts the run; `done` is called on the loop when it has finished.
  Status start(EventLoop& loop, doctor::DoctorRequest request, Done done);

 private:
  void finished();

  std::thread worker_;
  int wake_fd_ = -1;
  EventSource wake_source_;
  Done done_;
  // Written by the worker before it wakes the loop; read by the loop after join().
  DoctorResult result_;
};

}  // namespace lifeline
