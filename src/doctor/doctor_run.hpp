// One doctor run, as `lifeline doctor` and the agent at start do it: lifeline's check of
// itself, the checks of the configuration files, then what is running now.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "doctor/finding.hpp"

namespace lifeline::doctor {

struct DoctorRequest {
  std::string root = "/";   // the configuration files' tree
  std::string app_unit;     // "" skips the app checks
  std::string config_path;  // lifeline's configuration; "" skips its check
  bool live = true;         // also the running processes and the devices (this host's)
  pid_t self = 0;           // this process: not a holder of its own devices
};

[[nodiscard]] std::vector<Finding> run_doctor(const DoctorRequest& request);

}  // namespace lifeline::doctor
