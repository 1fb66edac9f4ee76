// `lifeline doctor`: an audit a person runs on a robot (or over a copied tree with
// --root). Prints findings (text, or JSON with --json) and returns the exit code:
// 0 ok/info only, 1 a warning, 2 a critical finding (doctor::exit_code_for).
#pragma once

#include <string>

namespace lifeline::cli {

// Runs the offline (file) checks over the tree at `root` ("/" for this machine);
// `app_unit` ("" to skip) is the unit of the robot's application.
int doctor(const std::string& root, const std::string& app_unit, bool json);

}  // namespace lifeline::cli
