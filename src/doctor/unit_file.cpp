#include "doctor/unit_file.hpp"

#include <cstddef>

namespace lifeline::doctor {
namespace {

// systemd's WHITESPACE set (" \t\n\r"): stripped around lines, keys and values.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// systemd.syntax(7): "Empty lines and lines starting with "#" or ";" are ignored."
bool is_comment(std::string_view trimmed) {
  return !trimmed.empty() && (trimmed.front() == '#' || trimmed.front() == ';');
}

// A line continues when it ends in an odd number of backslashes: "\\" at the end is an
// escaped backslash, not a continuation.
bool ends_in_continuation(std::string_view line) {
  std::size_t count = 0;
  while (count < line.size() && line[line.size() - 1 - count] == '\\') ++count;
  return count % 2 == 1;
}

// Splits on "\n", "\r\n" and a lone "\r", the line ends systemd's read_line() accepts.
std::vector<std::string_view> physical_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

class Parser {
 public:
  explicit Parser(UnitFile& out) : out_(out) {}

  void logical_line(std::string_view raw, std::size_t number) {
    const std::string_view line = trim(raw);
    if (line.empty() || is_comment(line)) return;
    if (line.front() == '[') {
      if (line.size() >= 2 && line.back() == ']') {
        section_ = std::string(line.substr(1, line.size() - 2));
        in_section_ = true;
        out_.sections[section_];  // an empty section still exists
      } else {
        warn(number, "invalid section header, assignments up to the next section ignored");
        in_section_ = false;
      }
      return;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      warn(number, "missing '=', line ignored");
      return;
    }
    const std::string_view key = trim(line.substr(0, equals));
    if (key.empty()) {
      warn(number, "empty key, line ignored");
      return;
    }
    // systemd ignores (with a warning) assignments before the first section header.
    if (!in_section_) {
      warn(number, "assignment outside any section, line ignored");
      return;
    }
    out_.sections[section_].emplace_back(std::string(key),
                                         std::string(trim(line.substr(equals + 1))));
  }

 private:
  void warn(std::size_t number, const char* what) {
    out_.warnings.push_back("line " + std::to_string(number) + ": " + what);
  }

  UnitFile& out_;
  std::string section_;
  bool in_section_ = false;
};

}  // namespace

std::optional<std::string> UnitFile::last(const std::string& section,
                                          const std::string& key) const {
  const auto found = sections.find(section);
  if (found == sections.end()) return std::nullopt;
  std::optional<std::string> value;
  for (const auto& [k, v] : found->second) {
    if (k == key) value = v;
  }
  return value;
}

std::vector<std::string> UnitFile::all(const std::string& section, const std::string& key) const {
  std::vector<std::string> values;
  const auto found = sections.find(section);
  if (found == sections.end()) return values;
  for (const auto& [k, v] : found->second) {
    if (k != key) continue;
    if (v.empty()) {
      values.clear();  // systemd.unit(5): an empty assignment resets the list
    } else {
      values.push_back(v);
    }
  }
  return values;
}

bool UnitFile::has(const std::string& section, const std::string& key) const {
  const auto value = last(section, key);
  return value.has_value() && !value->empty();
}

void UnitFile::merge(const UnitFile& later) {
  for (const auto& [name, entries] : later.sections) {
    auto& mine = sections[name];
    mine.insert(mine.end(), entries.begin(), entries.end());
  }
  warnings.insert(warnings.end(), later.warnings.begin(), later.warnings.end());
}

UnitFile parse_unit_file(std::string_view text) {
  UnitFile out;
  // A UTF-8 byte order mark before the first line is skipped, as systemd does.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Parser parser(out);
  std::string pending;
  bool continuing = false;
  std::size_t first_line = 0;
  const std::vector<std::string_view> lines = physical_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    // systemd.syntax(7): comment lines that follow a line ending in a backslash are
    // ignored, and the continued line goes on with what follows them. A comment line
    // itself is never continued here.
    if (is_comment(trim(line))) continue;
    if (!continuing) first_line = i + 1;
    // systemd.syntax(7): a line ending in a backslash is joined with the next one, the
    // backslash replaced by a space.
    std::string_view right = line;
    while (!right.empty() && is_space(right.back())) right.remove_suffix(1);
    if (ends_in_continuation(right)) {
      pending.append(right.substr(0, right.size() - 1));
      pending.push_back(' ');
      continuing = true;
      continue;
    }
    pending.append(line);
    parser.logical_line(pending, first_line);
    pending.clear();
    continuing = false;
  }
  if (continuing) parser.logical_line(pending, first_line);  // a backslash on the last line
  return out;
}

}  // namespace lifeline::doctor
