// Any bytes as a unit file, drop-in or journald.conf: parsing must never crash, and what it
// returns must be what systemd.syntax(7) allows. Every value is also read as an ExecStart=
// command line, and the input as the wrapper script it names, for the duplicate check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "doctor/checks.hpp"
#include "doctor/unit_file.hpp"

namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void check_text(const std::string& text, bool is_key) {
  if (text.find_first_of("\n\r") != std::string::npos) std::abort();  // lines are split
  if (!text.empty() && (space(text.front()) || space(text.back()))) std::abort();  // stripped
  if (is_key && (text.empty() || text.find('=') != std::string::npos)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const lifeline::doctor::UnitFile unit = lifeline::doctor::parse_unit_file(text);

  const std::string script(text);
  lifeline::doctor::SystemFiles files;
  files.read = [&script](const std::string&) -> std::optional<std::string> { return script; };
  files.list = [](const std::string&) { return std::vector<std::string>{}; };

  std::size_t entries = 0;
  for (const auto& [section, assignments] : unit.sections) {
    for (const auto& [key, value] : assignments) {
      check_text(key, true);
      check_text(value, false);
      if (!unit.last(section, key).has_value()) std::abort();
      for (const std::string& item : unit.all(section, key)) {
        if (item.empty()) std::abort();  // an empty assignment resets, it is never an item
      }
      for (const std::string& program : lifeline::doctor::program_keys(files, "/x " + value)) {
        if (program.empty()) std::abort();
      }
      (void)lifeline::doctor::program_keys(files, value);
      ++entries;
    }
  }
  // Merging a file with itself doubles every section's assignments and keeps last().
  lifeline::doctor::UnitFile twice = unit;
  twice.merge(unit);
  std::size_t doubled = 0;
  for (const auto& [section, assignments] : twice.sections) {
    doubled += assignments.size();
    for (const auto& [key, value] : assignments) {
      if (twice.last(section, key) != unit.last(section, key)) std::abort();
    }
  }
  if (doubled != 2 * entries) std::abort();
  return 0;
}
