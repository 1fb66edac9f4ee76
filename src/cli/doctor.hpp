// `lifeline doctor`: an audit a person runs on a robot (or over a copied tree with
// --root). Prints findings (text, or JSON with --json) and returns the exit code:
// 0 ok/info only, 1 a warning, 2 a critical finding (doctor::exit_code_for).
#pragma once

#include <string>

namespace lifeline::cli {

struct DoctorCommand {
  std::string root = "/";   // the configuration files' tree
  std::string app_unit;     // "" skips the app checks
  std::string config_path;  // lifeline's configuration; "" skips its check
  bool live = true;         // running processes and devices too
  bool json = false;
};

int doctor(const DoctorCommand& command);

}  // namespace lifeline::cli
