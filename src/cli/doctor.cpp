#include "cli/doctor.hpp"

#include <iostream>

#include "doctor/checks.hpp"

namespace lifeline::cli {

int doctor(const std::string& root, const std::string& app_unit, bool json) {
  const doctor::SystemFiles files = doctor::files_under_root(root.empty() ? "/" : root);
  const std::vector<doctor::Finding> findings =
      doctor::run_offline_checks(files, doctor::DoctorOptions{app_unit});
  if (json) {
    nlohmann::json out = doctor::to_json(findings);
    out["root"] = root.empty() ? "/" : root;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "lifeline doctor: configuration files under " << (root.empty() ? "/" : root)
              << " (live checks of running units come later)\n";
    std::cout << doctor::render_text(findings);
  }
  return doctor::exit_code_for(findings);
}

}  // namespace lifeline::cli
