#include "health/health_checks.hpp"

#include <cstdio>

namespace lifeline {

namespace {
std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}
}  // namespace

CheckResult judge_file_age(std::optional<std::chrono::milliseconds> age,
                           std::chrono::milliseconds max_age) {
  if (!age) return {false, "file is missing"};
  // A file from the future (clock stepped back) counts as fresh: the app did touch it.
  if (*age <= max_age) return {true, {}};
  return {false, "file is " + seconds(*age) + " old (max " + seconds(max_age) + ")"};
}

CheckResult judge_loop_lateness(std::chrono::milliseconds lateness,
                                std::chrono::milliseconds deadline) {
  if (lateness <= deadline) return {true, {}};
  return {false, "event loop stalled: a tick ran " + seconds(lateness) + " late (deadline " +
                     seconds(deadline) + ")"};
}

}  // namespace lifeline
