// The agent runs `lifeline doctor` once at every start (docs/doctor.md, "At start") and
// records what it found: a summary, and each warning or critical finding with its fix, so
// the black box of a robot that misbehaves says what was wrong with its set-up then.
#include <algorithm>

#include "agent/agent.hpp"

namespace lifeline {
namespace {

// A robot with many problems must not flood the black box at every (boot-loop) start.
constexpr std::size_t kMaxFindingRecords = 16;

Severity event_severity(doctor::FindingSeverity severity) {
  switch (severity) {
    case doctor::FindingSeverity::critical:
      return Severity::error;
    case doctor::FindingSeverity::warning:
      return Severity::warning;
    default:
      return Severity::info;
  }
}

}  // namespace

void Agent::start_doctor() {
  DoctorChildRequest request;
  request.config_path = config_.source_path;
  request.app_unit = config_.motion.app.unit;
  doctor_ = std::make_unique<BackgroundDoctor>();
  if (auto started = doctor_->start(*loop_, request,
                                    [this](const DoctorResult& result) { record_doctor(result); });
      !started) {
    doctor_status_ = {{"state", "failed"}, {"error", started.error().message}};
    recorder_->record(Event{EventKind::doctor_report,
                            std::nullopt,
                            Severity::warning,
                            "doctor at start did not run: " + started.error().message,
                            {}});
    return;
  }
  doctor_status_ = {{"state", "running"}};
}

void Agent::record_doctor(const DoctorResult& result) {
  if (!result.error.empty()) {
    doctor_status_ = {{"state", "failed"}, {"error", result.error}};
    recorder_->record(Event{EventKind::doctor_report,
                            std::nullopt,
                            Severity::warning,
                            "doctor at start failed: " + result.error,
                            {{"error", result.error}}});
    return;
  }
  const std::vector<doctor::Finding>& findings = result.findings;
  const auto took = result.took;
  const nlohmann::json summary = doctor::to_json(findings);
  std::vector<std::string> problems;
  auto worst = doctor::FindingSeverity::ok;
  std::size_t recorded = 0;
  for (const doctor::Finding& f : findings) {
    worst = std::max(worst, f.severity);
    if (f.severity < doctor::FindingSeverity::warning) continue;
    problems.push_back(f.id);
    if (recorded++ == kMaxFindingRecords) continue;
    recorder_->record(
        Event{EventKind::doctor_finding,
              std::nullopt,
              event_severity(f.severity),
              std::string(doctor::severity_name(f.severity)) + " " + f.id + ": " + f.title,
              {{"id", f.id}, {"seen", f.seen}, {"fix", f.fix}, {"incident", f.incident}}});
  }
  std::string ids;
  for (const std::string& id : problems) ids += (ids.empty() ? "" : ",") + id;
  const auto& counts = summary["summary"];
  const auto count = [&counts](const char* key) { return std::to_string(counts.value(key, 0)); };
  recorder_->record(Event{EventKind::doctor_report,
                          std::nullopt,
                          event_severity(worst),
                          "doctor at start: " + count("critical") + " critical, " +
                              count("warning") + " warning, " + count("info") + " info, " +
                              count("ok") + " ok" + (ids.empty() ? "" : " (" + ids + ")"),
                          {{"critical", count("critical")},
                           {"warning", count("warning")},
                           {"info", count("info")},
                           {"ok", count("ok")},
                           {"findings", ids},
                           {"took_ms", std::to_string(took.count() / 1000)},
                           {"priority", result.priority}}});
  doctor_status_ = {{"state", "done"},
                    {"summary", counts},
                    {"exit_code", summary["exit_code"]},
                    {"problems", problems},
                    {"took_ms", took.count() / 1000}};
  // doctor_ stays: this runs inside its callback. Its child has been reaped.
}

}  // namespace lifeline
