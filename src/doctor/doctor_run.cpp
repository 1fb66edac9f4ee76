#include "doctor/doctor_run.hpp"

#include "doctor/checks.hpp"
#include "doctor/live_checks.hpp"
#include "doctor/live_facts.hpp"
#include "doctor/self_facts.hpp"

namespace lifeline::doctor {

std::vector<Finding> run_doctor(const DoctorRequest& request) {
  const SystemFiles files = files_under_root(request.root);
  std::vector<Finding> all;
  const auto add = [&all](std::vector<Finding> part) {
    all.insert(all.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  };
  std::string app_unit = request.app_unit;
  if (request.config_path.empty()) {
    all.push_back({"lifeline.not-checked", "lifeline's own configuration was not checked",
                   "offline run without --config", "", "", "pass --config FILE",
                   FindingSeverity::info});
  } else {
    const SelfFacts self =
        gather_self_facts(files, SelfFactsRequest{request.config_path, request.live, request.self});
    if (app_unit.empty()) app_unit = self.app_unit;
    add(check_lifeline(self));
  }
  add(run_offline_checks(files, DoctorOptions{app_unit}));
  if (request.live) {
    add(run_live_process_checks(read_running_processes()));
  } else {
    all.push_back({"live.not-checked", "running processes and devices were not checked",
                   "offline run (--root without --live)", "", "", "", FindingSeverity::info});
  }
  return all;
}

}  // namespace lifeline::doctor
