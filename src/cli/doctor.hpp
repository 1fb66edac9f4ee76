// `lifeline doctor`: an audit a person runs on a robot (or over a copied tree with
// --root). Prints findings (text, or JSON with --json) and returns the exit code:
// 0 ok/info only, 1 a warning, 2 a critical finding (doctor::exit_code_for).
#pragma once

#include "doctor/doctor_run.hpp"

namespace lifeline::cli {

struct DoctorCommand {
  doctor::DoctorRequest request;  // `self` is filled in by doctor()
  bool json = false;
};

int doctor(const DoctorCommand& command);

}  // namespace lifeline::cli
