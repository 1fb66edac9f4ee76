// The [exclusivity] keys of lifeline.toml (see schema.hpp and docs/exclusivity.md).
#include <array>

#include "config/schema.hpp"

namespace lifeline::schema {

namespace {

using K = Kind;

constexpr std::array<std::string_view, 1> kExclusivitySections{"exclusivity"};

// Defaults must match exclusivity/exclusivity_config.hpp; ConfigSchema tests check.
constexpr std::array kExclusivityKeys{
    Key{"exclusivity", "interval_ms", K::integer, 500, 3600000, "ms", "60000",
        "The safety sweep: checks run at start and when systemd's units change (its bus "
        "signals); the sweep also finds stray processes no unit signal announces."},
    Key{"exclusivity", "mask_dir", K::path, 0, 0, "", R"("/etc/systemd/system")",
        "Where mode \"mask\" masks unit files (systemctl's /etc/systemd/system); a regular "
        "unit file there is moved aside to UNIT.lifeline-masked first."},
    Key{"exclusivity", "role", K::table_array, 0, 0, "", "none",
        "Zero or more [[exclusivity.role]] tables; none = the check is off."},
    Key{"exclusivity.role", "name", K::string, 0, 0, "", "required",
        "Unique name, 1 to 32 characters from a-z, 0-9, '_' and '-'."},
    Key{"exclusivity.role", "unit", K::string, 0, 0, "", "required",
        "The owning unit, e.g. \"avatar-tank.service\": the only one allowed to hold the "
        "role's ports and run its binaries."},
    Key{"exclusivity.role", "ports", K::string_list, 0, 0, "", "[]",
        "Ports the owner holds, each \"tcp/N\" (listening) or \"udp/N\" (bound), 1 to 65535."},
    Key{"exclusivity.role", "binaries", K::string_list, 0, 0, "", "[]",
        "The role's programs: absolute executable paths, or names matched against the "
        "executable's and argv[0]'s file name."},
    Key{"exclusivity.role", "max_instances", K::integer, 1, 64, "", "1",
        "Running instances allowed of each binary (a child of the same binary is part of its "
        "parent's instance)."},
    Key{"exclusivity.role", "mode", K::string, 0, 0, "", R"("report")",
        R"(What is done with a duplicate: "report" (fault and record), "stop" (also StopUnit) )"
        R"(or "mask" (StopUnit, then MaskUnitFiles and a daemon-reload).)"},
};

}  // namespace

std::span<const std::string_view> exclusivity_sections() {
  return kExclusivitySections;
}
std::span<const Key> exclusivity_keys() {
  return kExclusivityKeys;
}

}  // namespace lifeline::schema
