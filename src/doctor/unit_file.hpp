// A reader for the INI dialect of systemd unit files, drop-ins, system.conf and
// journald.conf (systemd.syntax(7)). Pure and total: any bytes give a UnitFile, never a
// crash; lines systemd would ignore are ignored here too and noted in `warnings`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeline::doctor {

struct UnitFile {
  // Section name -> assignments in file order, repeated keys kept (systemd.syntax(7):
  // a key may appear more than once; what that means is up to the setting).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sections;
  // One line per ignored line ("line 3: missing '='"), for a person debugging a file.
  std::vector<std::string> warnings;

  // The value of the last assignment of `key` in `section` (possibly "", which for a
  // single-valued setting means "back to the default"); nullopt when never assigned.
  [[nodiscard]] std::optional<std::string> last(const std::string& section,
                                                const std::string& key) const;
  // The list a list-valued setting ends up with: every non-empty value after the last
  // empty assignment (an empty assignment resets the list, systemd.unit(5)).
  [[nodiscard]] std::vector<std::string> all(const std::string& section,
                                             const std::string& key) const;
  // Whether `key` is assigned a non-empty value that is still in force.
  [[nodiscard]] bool has(const std::string& section, const std::string& key) const;

  // Appends `later`'s assignments after this file's, as systemd applies drop-ins after
  // the unit file (and later drop-ins after earlier ones).
  void merge(const UnitFile& later);
};

[[nodiscard]] UnitFile parse_unit_file(std::string_view text);

}  // namespace lifeline::doctor
