// What the last unit surveys read from systemd, kept so that a check after a unit signal
// re-reads only what the signal names. On a slow box a whole survey is costly: in the VM
// tier's TCG guest ListUnitFiles alone took 2.9 s (systemd reads every unit file) and a
// survey of 66 services 8-9 s, which is what a new duplicate waited for.
// - A unit file change (UnitFilesChanged, a finished Reloading), a lost subscription and
//   the safety sweep forget everything: the next survey reads every file and unit.
// - JobRemoved names one unit (started, stopped): only that unit is read again.
// ActiveState is never taken from here: ListUnits, read at every survey, gives it fresh.
// Pure values, no bus: tested alone.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "exclusivity/unit_facts.hpp"
#include "exclusivity/unit_properties.hpp"

namespace lifeline::exclusivity {

class UnitFactCache {
 public:
  // Everything stale: the next survey lists the unit files and reads every unit.
  void forget_all();
  // One unit changed (started, stopped, loaded): read it again at the next survey.
  void unit_changed(const std::string& name);

  // Bumped by forget_all(): a survey that began under an older generation stores nothing,
  // since what it read may predate the change.
  [[nodiscard]] std::uint64_t generation() const { return generation_; }
  [[nodiscard]] bool files_known() const { return files_known_; }
  [[nodiscard]] const std::vector<ListedUnitFile>& files() const { return files_; }
  void store_files(std::vector<ListedUnitFile> files, std::uint64_t generation);

  // The cached fact for `name` when it is still good, else nullptr (never read, changed
  // since, or forgotten). A survey calls take() for each unit it is about to read, so a
  // signal arriving while the read is under way marks it changed again.
  [[nodiscard]] const UnitFact* fresh(const std::string& name) const;
  void take(const std::string& name);
  void store(const UnitFact& fact, std::uint64_t generation);
  // Drops what is no longer a candidate (a unit file removed, a unit unloaded).
  void keep_only(const std::set<std::string>& names);

  [[nodiscard]] std::size_t size() const { return facts_.size(); }

 private:
  std::uint64_t generation_ = 0;
  bool files_known_ = false;
  std::vector<ListedUnitFile> files_;
  std::map<std::string, UnitFact> facts_;
  std::set<std::string> changed_;
};

}  // namespace lifeline::exclusivity
