// The one list of every key lifeline reads from its config file and from board files.
// Validation takes ranges and types from here, and tests check docs/configuration.md and
// docs/boards.md against it, so a key cannot exist without being documented.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace lifeline::schema {

enum class Kind : std::uint8_t {
  boolean,
  integer,
  string,       // free text or an enumeration (the doc line lists the choices)
  path,         // a string holding a filesystem path
  string_list,  // an array of strings
  table_array   // [[section.key]]: zero or more tables
};

struct Key {
  std::string_view section;  // "watchdog", "health.file_check"; "" is the file's top level
  std::string_view name;
  Kind kind;
  std::int64_t min = 0;  // integers only, inclusive
  std::int64_t max = 0;
  std::string_view unit;           // "ms", "s", "min", "KiB" or "" (the key name carries it)
  std::string_view default_value;  // as written in TOML; "required" for board keys without one
  std::string_view doc;            // one line: what the key means
};

// The sections a config file may have, in file order.
std::span<const std::string_view> config_sections();
std::span<const Key> config_keys();

// Each capability's own part of the config file, in its own schema_<capability>.cpp; the
// two functions above join them after the core keys.
std::span<const std::string_view> memory_sections();
std::span<const Key> memory_keys();
std::span<const std::string_view> rescue_sections();
std::span<const Key> rescue_keys();
std::span<const std::string_view> exclusivity_sections();
std::span<const Key> exclusivity_keys();

// Board files: top-level keys (section ""), [watchdog], every line role and [motor_serial].
// Line roles share one set of keys, listed under the pseudo-section "line".
std::span<const std::string_view> board_sections();
std::span<const std::string_view> board_line_roles();
std::span<const Key> board_keys();
inline constexpr std::string_view kLineSection = "line";

const Key* find(std::span<const Key> keys, std::string_view section, std::string_view name);

// "milliseconds" for "ms" and so on; empty when there is no unit.
std::string_view unit_words(std::string_view unit);

}  // namespace lifeline::schema
