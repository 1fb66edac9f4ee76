#include "cli/doctor.hpp"

#include <unistd.h>

#include <iostream>

namespace lifeline::cli {

int doctor(const DoctorCommand& command) {
  doctor::DoctorRequest request = command.request;
  request.self = ::getpid();
  const std::vector<doctor::Finding> findings = doctor::run_doctor(request);
  if (command.json) {
    nlohmann::json out = doctor::to_json(findings);
    out["root"] = request.root;
    out["live"] = request.live;
    out["config"] = request.config_path;
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
