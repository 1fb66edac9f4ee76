#include "cli/doctor.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <iostream>

namespace lifeline::cli {
namespace {

// How this process is scheduled: the agent runs doctor at start as a child that must not
// compete with the robot (docs/doctor.md), and its report says so.
std::string scheduling() {
  const int policy = ::sched_getscheduler(0);
  if (policy != SCHED_OTHER) {
    sched_param param{};
    (void)::sched_getparam(0, &param);
    return (policy == SCHED_FIFO ? "SCHED_FIFO " : "policy " + std::to_string(policy) + " ") +
           std::to_string(param.sched_priority);
  }
  return "SCHED_OTHER nice " + std::to_string(::getpriority(PRIO_PROCESS, 0));
}

}  // namespace

int doctor(const DoctorCommand& command) {
  doctor::DoctorRequest request = command.request;
  request.self = ::getpid();
  const std::vector<doctor::Finding> findings = doctor::run_doctor(request);
  if (command.json) {
    nlohmann::json out = doctor::to_json(findings);
    out["root"] = request.root;
    out["live"] = request.live;
    out["config"] = request.config_path;
    out["priority"] = scheduling();
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "lifeline doctor: configuration files under " << request.root
              << (request.live ? ", running processes and devices of this host"
                               : " (offline: nothing running was looked at)")
              << "\n";
    std::cout << doctor::render_text(findings);
  }
  return doctor::exit_code_for(findings);
}

}  // namespace lifeline::cli
