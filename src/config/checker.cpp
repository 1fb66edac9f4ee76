#include "config/checker.hpp"

#include "util/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <utility>

namespace lifeline::check {

namespace {

std::string position_text(const std::string& file, toml::source_position at) {
  return file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ";
}

bool plain_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Keys come from the file, so anything odd is quoted before it reaches a log line.
std::string key_text(std::string_view key) {
  return plain_name(key) ? std::string(key) : quote(key);
}

}  // namespace

Checker::Checker(std::string file, std::span<const schema::Key> keys,
                 std::span<const std::string_view> sections)
    : file_(std::move(file)), keys_(keys), sections_(sections) {}

Scope Checker::top(const toml::table& root) const {
  return Scope{"", "", &root, {1, 1}};
}

Scope Checker::section(const toml::table& root, std::string_view name,
                       std::string_view schema_section) {
  Scope scope{std::string(schema_section.empty() ? name : schema_section),
              "[" + std::string(name) + "]",
              nullptr,
              {1, 1}};
  const toml::node* found = root.get(name);
  if (found == nullptr) return scope;
  scope.at = found->source().begin;
  scope.table = found->as_table();
  if (scope.table == nullptr) {
    expected(found->source().begin, top(root), name, "a table ([" + std::string(name) + "])",
             describe(*found));
  }
  return scope;
}

Scope Checker::subsection(const Scope& parent, std::string_view name) {
  const std::string full =
      parent.section.empty() ? std::string(name) : parent.section + "." + std::string(name);
  Scope scope{full, "[" + full + "]", nullptr, parent.at};
  const toml::node* found = node(parent, name);
  if (found == nullptr) return scope;
  scope.at = found->source().begin;
  scope.table = found->as_table();
  if (scope.table == nullptr) {
    expected(found->source().begin, parent, name, "a table ([" + full + "])", describe(*found));
  }
  return scope;
}

namespace {

// "motion" for "motion.app", "" for "agent".
std::string_view parent_of(std::string_view section) {
  const std::size_t dot = section.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : section.substr(0, dot);
}

std::string_view leaf_of(std::string_view section) {
  const std::size_t dot = section.rfind('.');
  return dot == std::string_view::npos ? section : section.substr(dot + 1);
}

}  // namespace

bool Checker::is_subsection(std::string_view parent, std::string_view key) const {
  return std::any_of(sections_.begin(), sections_.end(), [&](std::string_view s) {
    return parent_of(s) == parent && leaf_of(s) == key;
  });
}

bool Checker::has_subsections(std::string_view parent) const {
  return parent.empty() || std::any_of(sections_.begin(), sections_.end(),
                                       [&](std::string_view s) { return parent_of(s) == parent; });
}

bool Checker::known(const Scope& scope, std::string_view key) const {
  if (schema::find(keys_, scope.section, key) != nullptr) return true;
  return is_subsection(scope.section, key);
}

namespace {

// How far `key` is from `candidate`; a key missing its unit suffix ("timeout" for
// "timeout_s") counts as close whatever the suffix's length.
std::size_t closeness(std::string_view key, std::string_view candidate) {
  if (candidate.size() > key.size() + 1 && candidate.starts_with(key) &&
      candidate[key.size()] == '_') {
    return 1;
  }
  return edit_distance(key, candidate);
}

std::string where_text(std::string_view section) {
  return section.empty() ? "at the top of the file" : "in [" + std::string(section) + "]";
}

}  // namespace

std::string Checker::unknown_hint(const Scope& scope, std::string_view key) const {
  constexpr std::size_t kFar = 3;  // suggest only within an edit distance of 2
  std::string best;
  std::size_t best_distance = kFar;
  auto consider = [&](std::string_view candidate, std::string shown) {
    const std::size_t d = closeness(key, candidate);
    if (d < best_distance && d < candidate.size()) {
      best_distance = d;
      best = std::move(shown);
    }
  };
  for (const schema::Key& k : keys_) {
    if (k.section == scope.section) consider(k.name, std::string(k.name));
  }
  for (std::string_view s : sections_) {
    if (parent_of(s) == scope.section) consider(leaf_of(s), "[" + std::string(s) + "]");
  }
  if (!best.empty()) return " (did you mean " + best + "?)";
  // A right (or nearly right) key in the wrong section is a common slip: say where it goes.
  for (const schema::Key& k : keys_) {
    if (k.name == key && k.section != scope.section && k.section != schema::kLineSection) {
      return " (it belongs " + where_text(k.section) + ")";
    }
  }
  for (const schema::Key& k : keys_) {
    // An array of tables is written as its own [[section.key]] header, never as a key of
    // its section: "did you mean role in [exclusivity]?" would point at nothing to write.
    if (k.section != scope.section && k.section != schema::kLineSection &&
        k.kind != schema::Kind::table_array) {
      consider(k.name, std::string(k.name) + " " + where_text(k.section));
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

void Checker::reject_unknown(const Scope& scope) {
  if (scope.table == nullptr) return;
  for (auto&& [key, value] : *scope.table) {
    if (known(scope, key.str())) continue;
    const bool is_section = has_subsections(scope.section) && value.is_table();
    Scope where = scope;
    std::string shown_key = key_text(key.str());
    if (is_section) {
      where.label = "[" + (scope.section.empty() ? "" : scope.section + ".") + shown_key + "]";
      shown_key.clear();
    }
    errors_.push_back(Line{key.source().begin.line, key.source().begin.column,
                           prefix(key.source().begin, where, shown_key) +
                               (is_section ? "unknown section" : "unknown key") +
                               unknown_hint(scope, key.str())});
  }
}

const toml::node* Checker::node(const Scope& scope, std::string_view key) const {
  return scope.table == nullptr ? nullptr : scope.table->get(key);
}

toml::source_position Checker::position(const Scope& scope, std::string_view key) const {
  const toml::node* found = node(scope, key);
  return found != nullptr ? found->source().begin : scope.at;
}

std::optional<std::int64_t> Checker::any_integer(const Scope& scope, std::string_view key,
                                                 std::string_view what) {
  const toml::node* found = node(scope, key);
  if (found == nullptr) return std::nullopt;
  if (const auto* value = found->as_integer()) return value->get();
  expected(found->source().begin, scope, key, what, describe(*found));
  return std::nullopt;
}

std::optional<std::int64_t> Checker::integer(const Scope& scope, std::string_view key) {
  const schema::Key* spec = schema::find(keys_, scope.section, key);
  if (spec == nullptr) return any_integer(scope, key, "an integer");  // a caller's slip
  const std::string what = integer_range_text(spec->min, spec->max, spec->unit);
  const auto value = any_integer(scope, key, what);
  if (!value) return std::nullopt;
  if (*value < spec->min || *value > spec->max) {
    expected(position(scope, key), scope, key, what, std::to_string(*value));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Checker::boolean(const Scope& scope, std::string_view key) {
  const toml::node* found = node(scope, key);
  if (found == nullptr) return std::nullopt;
  if (const auto* value = found->as_boolean()) return value->get();
  expected(found->source().begin, scope, key, "true or false", describe(*found));
  return std::nullopt;
}

std::optional<std::string> Checker::text(const Scope& scope, std::string_view key,
                                         std::string_view what) {
  const toml::node* found = node(scope, key);
  if (found == nullptr) return std::nullopt;
  const auto* value = found->as_string();
  if (value == nullptr) {
    expected(found->source().begin, scope, key, what, describe(*found));
    return std::nullopt;
  }
  // TOML allows "\u0000"; a path with a NUL would be silently cut short by the kernel.
  if (value->get().find('\0') != std::string::npos) {
    expected(found->source().begin, scope, key, what, "a string containing a NUL character");
    return std::nullopt;
  }
  return value->get();
}

std::optional<std::vector<std::string>> Checker::string_list(
    const Scope& scope, std::string_view key, std::string_view what,
    const std::function<bool(std::string_view)>& valid, std::size_t min_entries,
    std::size_t max_entries) {
  const toml::node* n = node(scope, key);
  if (n == nullptr) return std::nullopt;
  const toml::array* array = n->as_array();
  if (array == nullptr || array->size() < min_entries || array->size() > max_entries) {
    expected(n->source().begin, scope, key, what,
             array == nullptr ? describe(*n)
                              : "an array of " + std::to_string(array->size()) + " values");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const toml::node& entry : *array) {
    const auto* text = entry.as_string();
    if (text == nullptr || !valid(text->get())) {
      expected(entry.source().begin, scope, key, what,
               text == nullptr ? describe(entry) : quote(text->get()));
      ok = false;
      continue;
    }
    out.push_back(text->get());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> Checker::absolute_path(const Scope& scope, std::string_view key) {
  auto value = text(scope, key, "an absolute path");
  if (value && (value->empty() || value->front() != '/')) {
    expected(position(scope, key), scope, key, "an absolute path", quote(*value));
    return std::nullopt;
  }
  return value;
}

std::string Checker::prefix(toml::source_position at, const Scope& scope,
                            std::string_view key) const {
  std::string out = position_text(file_, at);
  out += scope.label;
  if (!scope.label.empty() && !key.empty()) out += ' ';
  out += key;
  out += ": ";
  return out;
}

void Checker::expected(toml::source_position at, const Scope& scope, std::string_view key,
                       std::string_view what, std::string_view found) {
  errors_.push_back(Line{at.line, at.column,
                         prefix(at, scope, key_text(key)) + "expected " + std::string(what) +
                             ", found " + std::string(found)});
}

void Checker::missing(const Scope& scope, std::string_view key, std::string_view what) {
  const std::string shown = key.empty() ? std::string() : key_text(key);
  errors_.push_back(Line{scope.at.line, scope.at.column,
                         prefix(scope.at, scope, shown) + "expected " + std::string(what) +
                             ", found nothing (" + (key.empty() ? "the section" : "the key") +
                             " is required)"});
}

void Checker::warn(toml::source_position at, const Scope& scope, std::string_view key,
                   std::string_view message) {
  warnings_.push_back(Line{at.line, at.column, prefix(at, scope, key) + std::string(message)});
}

void Checker::add_foreign(std::string_view lines) {
  if (!lines.empty()) foreign_.emplace_back(lines);
}

std::string Checker::report() const {
  std::vector<Line> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Line& a, const Line& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string out;
  for (const Line& line : sorted) {
    if (!out.empty()) out += '\n';
    out += line.text;
  }
  for (const std::string& lines : foreign_) {
    if (!out.empty()) out += '\n';
    out += lines;
  }
  return out;
}

std::vector<std::string> Checker::warnings() const {
  std::vector<std::string> out;
  out.reserve(warnings_.size());
  for (const Line& line : warnings_) out.push_back(line.text);
  return out;
}

Expected<toml::table> parse_toml(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    std::string message = position_text(file, e.source().begin) + "invalid TOML: ";
    for (char c : e.description()) append_escaped_char(message, c);
    return Error{0, std::move(message)};
  }
}

Expected<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path + ": cannot read");
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto error = errno_error(path + ": cannot read");
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max_bytes) {
      ::close(fd);
      return Error{EFBIG,
                   path + ": cannot read: larger than " + std::to_string(max_bytes) + " bytes"};
    }
  }
  ::close(fd);
  return content;
}

std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string " + quote(node.as_string()->get());
    case toml::node_type::integer:
      return "an integer " + std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point: {
      std::ostringstream out;
      out << toml::node_view<const toml::node>(node);
      return "a floating-point number " + out.str();
    }
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "a boolean true" : "a boolean false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

bool is_short_name(std::string_view name) {
  constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789_-";
  return !name.empty() && name.size() <= 32 &&
         name.find_first_not_of(kChars) == std::string_view::npos;
}

std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::size_t shown = text.size();
  if (shown > kMaxShown) {
    shown = kMaxShown;
    // Do not cut a UTF-8 sequence in half: back up over continuation bytes.
    while (shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xC0U) == 0x80U) --shown;
  }
  std::string out = "\"";
  for (char c : text.substr(0, shown)) {
    if (c == '"' || c == '\\') out += '\\';
    append_escaped_char(out, c);
  }
  out += shown < text.size() ? "...\"" : "\"";
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the classic table are enough for adjacent transpositions.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string integer_range_text(std::int64_t min, std::int64_t max, std::string_view unit) {
  std::string out = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  const std::string_view words = schema::unit_words(unit);
  if (!words.empty()) out += " (" + std::string(words) + ")";
  return out;
}

}  // namespace lifeline::check
