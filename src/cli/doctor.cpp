#include "cli/doctor.hpp"

#include <unistd.h>

#include <iostream>

#include "doctor/doctor_run.hpp"

namespace lifeline::cli {

int doctor(const DoctorCommand& command) {
  const std::vector<doctor::Finding> findings = doctor::run_doctor(
      {command.root, command.app_unit, command.config_path, command.live, ::getpid()});
  if (command.json) {
    nlohmann::json out = doctor::to_json(findings);
    out["root"] = command.root;
    out["live"] = command.live;
    out["config"] = command.config_path;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "lifeline doctor: configuration files under " << command.root
              << (command.live ? ", running processes and devices of this host"
                               : " (offline: nothing running was looked at)")
              << "\n";
    std::cout << doctor::render_text(findings);
  }
  return doctor::exit_code_for(findings);
}

}  // namespace lifeline::cli
