// The exclusivity check's side of systemd's bus wire: reading the Manager's ListUnits and
// ListUnitFiles replies and a unit's GetAll replies into plain values (unit_facts.hpp).
// No connection here (systemd_units.cpp owns it), so a fuzzer can feed any message.
#pragma once

#include <systemd/sd-bus.h>

#include <string>
#include <vector>

#include "exclusivity/unit_facts.hpp"

namespace lifeline::exclusivity {

// One row of ListUnits (a(ssssssouso)) that is a service.
struct ListedUnit {
  std::string name;
  std::string load_state;
  std::string active_state;
  std::string path;  // the unit's object path
};
// One row of ListUnitFiles (a(ss)) that is a service file (no template "x@.service").
struct ListedUnitFile {
  std::string name;  // the file name: "mediamtx.service"
  std::string state;
};

// Each returns 0 or a negative errno for a malformed message; rows that are not services
// are skipped.
int read_list_units(sd_bus_message* m, std::vector<ListedUnit>& out);
int read_list_unit_files(sd_bus_message* m, std::vector<ListedUnitFile>& out);

// An a{sv} of Unit or Service properties (GetAll's reply) into `unit`: ActiveState,
// UnitFileState, UnitFilePreset, FragmentPath, ControlGroup, MainPID, ExecStart
// (a(sasbttttuii)). A property with an unexpected type is skipped, not trusted.
int read_unit_properties(sd_bus_message* m, UnitFact& unit);

// Whether a unit file in this state is worth reading: it could start at boot or be
// enabled by a preset (not masked, static, generated or transient).
bool may_start_at_boot(const std::string& unit_file_state);

}  // namespace lifeline::exclusivity
