#include "doctor/finding.hpp"

#include <array>
#include <cstddef>

namespace lifeline::doctor {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Indents every line after the first so a multi-line fix stays inside its block.
std::string indent_rest(const std::string& text, std::string_view pad) {
  std::string out;
  for (const char c : text) {
    out.push_back(c);
    if (c == '\n') out.append(pad);
  }
  return out;
}

}  // namespace

Finding ok_finding(std::string id, std::string title, std::string seen) {
  return {std::move(id), std::move(title), std::move(seen), "", "", "", FindingSeverity::ok};
}

std::string_view severity_name(FindingSeverity severity) {
  switch (severity) {
    case FindingSeverity::ok:
      return "ok";
    case FindingSeverity::info:
      return "info";
    case FindingSeverity::warning:
      return "warning";
    case FindingSeverity::critical:
      return "critical";
  }
  return "unknown";
}

int exit_code_for(const std::vector<Finding>& findings) {
  int code = 0;
  for (const Finding& finding : findings) {
    if (finding.severity == FindingSeverity::critical) return 2;
    if (finding.severity == FindingSeverity::warning) code = 1;
  }
  return code;
}

std::string render_text(const std::vector<Finding>& findings) {
  std::string out;
  std::array<std::size_t, 4> counts{};
  for (const Finding& finding : findings) {
    ++counts[static_cast<std::size_t>(finding.severity)];
    const std::string tag = "[" + upper(severity_name(finding.severity)) + "]";
    if (finding.severity == FindingSeverity::ok) {
      out += tag + " " + finding.id + ": " + finding.title + "\n";
      continue;
    }
    out += "\n" + tag + " " + finding.id + ": " + finding.title + "\n";
    if (!finding.seen.empty())
      out += "  seen:     " + indent_rest(finding.seen, "            ") + "\n";
    if (!finding.why.empty())
      out += "  why:      " + indent_rest(finding.why, "            ") + "\n";
    if (!finding.incident.empty()) out += "  incident: shared/incidents/" + finding.incident + "\n";
    if (!finding.fix.empty())
      out += "  fix:      " + indent_rest(finding.fix, "            ") + "\n";
  }
  out += "\n" + std::to_string(findings.size()) + " checks: " + std::to_string(counts[3]) +
         " critical, " + std::to_string(counts[2]) + " warning, " + std::to_string(counts[1]) +
         " info, " + std::to_string(counts[0]) + " ok\n";
  return out;
}

nlohmann::json to_json(const std::vector<Finding>& findings) {
  nlohmann::json list = nlohmann::json::array();
  nlohmann::json summary = {{"ok", 0}, {"info", 0}, {"warning", 0}, {"critical", 0}};
  for (const Finding& finding : findings) {
    const std::string severity(severity_name(finding.severity));
    summary[severity] = summary[severity].get<int>() + 1;
    list.push_back({{"id", finding.id},
                    {"severity", severity},
                    {"title", finding.title},
                    {"seen", finding.seen},
                    {"why", finding.why},
                    {"incident", finding.incident.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(finding.incident)},
                    {"fix", finding.fix}});
  }
  return {{"findings", list}, {"summary", summary}, {"exit_code", exit_code_for(findings)}};
}

std::optional<std::vector<Finding>> findings_from_json(const nlohmann::json& report) {
  if (!report.is_object() || !report.contains("findings") || !report["findings"].is_array()) {
    return std::nullopt;
  }
  const auto text = [](const nlohmann::json& f, const char* key) {
    const auto found = f.find(key);
    return found != f.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  std::vector<Finding> out;
  for (const nlohmann::json& f : report["findings"]) {
    if (!f.is_object()) return std::nullopt;
    const std::string severity = text(f, "severity");
    std::optional<FindingSeverity> parsed;
    for (const auto s : {FindingSeverity::ok, FindingSeverity::info, FindingSeverity::warning,
                         FindingSeverity::critical}) {
      if (severity_name(s) == severity) parsed = s;
    }
    if (!parsed || text(f, "id").empty()) return std::nullopt;
    out.push_back({text(f, "id"), text(f, "title"), text(f, "seen"), text(f, "why"),
                   text(f, "incident"), text(f, "fix"), *parsed});
  }
  return out;
}

}  // namespace lifeline::doctor
