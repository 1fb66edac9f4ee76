// Shared machinery for validating a parsed TOML file against the schema: typed lookups that
// report instead of throwing, so one pass finds every error, each as
//   FILE:LINE:COL: [section] key: expected <what>, found <what>
// Used by the config loader and the board loader.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/schema.hpp"
#include "lifeline/expected.hpp"

namespace lifeline::check {

// A group of keys: where to look them up and how messages name them.
struct Scope {
  std::string section;                 // schema section ("" = top level)
  std::string label;                   // "[watchdog]", "[health.file_check #2]", "" at top
  const toml::table* table = nullptr;  // null when the file lacks it (or it is not a table)
  toml::source_position at{1, 1};      // where "missing key" errors point
};

class Checker {
 public:
  Checker(std::string file, std::span<const schema::Key> keys,
          std::span<const std::string_view> sections);

  [[nodiscard]] const std::string& file() const { return file_; }

  Scope top(const toml::table& root) const;
  // The table `name` of `root`; reports a value that is not a table. `schema_section`
  // defaults to `name` (board line roles share the "line" keys).
  Scope section(const toml::table& root, std::string_view name,
                std::string_view schema_section = {});
  // The table `name` inside `parent` ([motion.app] in [motion]); the sections list must
  // name it ("motion.app"). Reports a value that is not a table.
  Scope subsection(const Scope& parent, std::string_view name);

  // Reports every key of scope.table the schema does not know, with a suggestion.
  void reject_unknown(const Scope& scope);

  [[nodiscard]] const toml::node* node(const Scope& scope, std::string_view key) const;
  [[nodiscard]] toml::source_position position(const Scope& scope, std::string_view key) const;

  // Typed lookups: nullopt when the key is absent or wrong (wrong is reported).
  std::optional<std::int64_t> integer(const Scope& scope, std::string_view key);  // + range
  std::optional<std::int64_t> any_integer(const Scope& scope, std::string_view key,
                                          std::string_view what);
  std::optional<bool> boolean(const Scope& scope, std::string_view key);
  std::optional<std::string> text(const Scope& scope, std::string_view key, std::string_view what);
  std::optional<std::string> absolute_path(const Scope& scope, std::string_view key);
  // An array of `min_entries` to `max_entries` strings, each passing `valid`. `what`
  // describes the whole array for messages. Every bad entry is reported at its own
  // position; nullopt when the key is absent or anything was reported.
  std::optional<std::vector<std::string>> string_list(
      const Scope& scope, std::string_view key, std::string_view what,
      const std::function<bool(std::string_view)>& valid, std::size_t min_entries = 0,
      std::size_t max_entries = 64);

  void expected(toml::source_position at, const Scope& scope, std::string_view key,
                std::string_view what, std::string_view found);
  void missing(const Scope& scope, std::string_view key, std::string_view what);
  void warn(toml::source_position at, const Scope& scope, std::string_view key,
            std::string_view message);
  // Lines from another file (a board's errors), reported after this file's own.
  void add_foreign(std::string_view lines);

  [[nodiscard]] bool failed() const { return !errors_.empty() || !foreign_.empty(); }
  [[nodiscard]] std::string report() const;  // one error a line, in file order
  [[nodiscard]] std::vector<std::string> warnings() const;

 private:
  struct Line {
    std::uint32_t line;
    std::uint32_t column;
    std::string text;
  };
  [[nodiscard]] std::string prefix(toml::source_position at, const Scope& scope,
                                   std::string_view key) const;
  [[nodiscard]] bool known(const Scope& scope, std::string_view key) const;
  [[nodiscard]] bool is_subsection(std::string_view parent, std::string_view key) const;
  [[nodiscard]] bool has_subsections(std::string_view parent) const;
  [[nodiscard]] std::string unknown_hint(const Scope& scope, std::string_view key) const;

  std::string file_;
  std::span<const schema::Key> keys_;
  std::span<const std::string_view> sections_;
  std::vector<Line> errors_;
  std::vector<Line> warnings_;
  std::vector<std::string> foreign_;
};

// Parses TOML; a syntax error becomes "FILE:LINE:COL: invalid TOML: <toml++'s description>".
Expected<toml::table> parse_toml(std::string_view text, const std::string& file);

// Reads a whole small text file; errors carry errno and say which file.
Expected<std::string> read_text_file(const std::string& path, std::size_t max_bytes = 1 << 20);

// "a string \"x\"", "an integer 5", "a floating-point number 1.5", "a table", ...
std::string describe(const toml::node& node);
// The names lifeline's config gives things (checks, watches, roles): 1 to 32 characters
// from a-z, 0-9, '_' and '-', so they work as journal values and metrics labels.
bool is_short_name(std::string_view name);
// Double-quoted, control characters escaped, long strings shortened.
std::string quote(std::string_view text);
// Optimal string alignment distance (edits, with adjacent swaps counting one).
std::size_t edit_distance(std::string_view a, std::string_view b);
// "an integer from 1 to 600 (seconds)"
std::string integer_range_text(std::int64_t min, std::int64_t max, std::string_view unit);

}  // namespace lifeline::check
