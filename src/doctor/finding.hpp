// One result of `lifeline doctor`: what was checked, what was seen, why it matters (with
// the post-mortem it comes from, under shared/incidents/) and the command that fixes it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lifeline::doctor {

enum class FindingSeverity { ok, info, warning, critical };

struct Finding {
  std::string id;        // stable, e.g. "swap.none"; documented in docs/doctor.md
  std::string title;     // one line
  std::string seen;      // the evidence: file, unit, value
  std::string why;       // why it matters
  std::string incident;  // incident file name ("2026-02-08-no-swap-silent-oom-kill.md") or ""
  std::string fix;       // a command (or commands, one per line); "" when nothing to do
  FindingSeverity severity = FindingSeverity::ok;
};

[[nodiscard]] std::string_view severity_name(FindingSeverity severity);

// A check that found nothing wrong: what was checked and what was seen.
[[nodiscard]] Finding ok_finding(std::string id, std::string title, std::string seen = "");

// The process exit code of a doctor run, by the worst severity found:
//   0  nothing, or only ok/info findings
//   1  at least one warning (and no critical)
//   2  at least one critical finding
[[nodiscard]] int exit_code_for(const std::vector<Finding>& findings);

// For a person: one block per finding (ok findings as a single line), then a summary.
[[nodiscard]] std::string render_text(const std::vector<Finding>& findings);

// For machines: {"findings":[{id,severity,title,seen,why,incident,fix}...],
// "summary":{"ok":n,"info":n,"warning":n,"critical":n},"exit_code":n}; "incident" is null
// when the finding comes from no incident.
[[nodiscard]] nlohmann::json to_json(const std::vector<Finding>& findings);

// The findings of to_json()'s output (a doctor child's report, read by the agent);
// nullopt when it is not such a report.
[[nodiscard]] std::optional<std::vector<Finding>> findings_from_json(const nlohmann::json& report);

}  // namespace lifeline::doctor
