#include "config/schema.hpp"

#include <array>

namespace lifeline::schema {

namespace {

using K = Kind;

// Defaults must match config.hpp; ConfigSchema.DefaultsMatchConfigStruct checks it.
constexpr std::array kConfigKeys{
    Key{"agent", "board", K::string, 0, 0, "", R"("pi4")",
        "Board file: a name searched in $LIFELINE_BOARD_PATH then the installed boards "
        "directory, or a path containing '/' (relative to this file's directory)."},
    Key{"agent", "state_dir", K::path, 0, 0, "", R"("/var/lib/lifeline")",
        "Absolute directory for persistent state (reset history, black box)."},
    Key{"agent", "control_socket", K::path, 0, 0, "", R"("/run/lifeline/control.sock")",
        "Absolute path of the control socket; at most 107 bytes (sun_path)."},
    Key{"agent", "loop_deadline_ms", K::integer, 100, 60000, "ms", "2000",
        "The main loop's own deadline: an iteration taking longer is a fault."},
    Key{"watchdog", "enabled", K::boolean, 0, 0, "", "true", "Open and pet the hardware watchdog."},
    Key{"watchdog", "device", K::path, 0, 0, "", R"("")",
        "Absolute path overriding the board's watchdog device; \"\" uses the board's."},
    Key{"watchdog", "timeout_s", K::integer, 1, 600, "s", "15",
        "Hardware watchdog timeout; clamped at run time to the board's max_timeout_s."},
    Key{"watchdog", "pet_interval_ms", K::integer, 0, 299999, "ms", "0",
        "How often to pet: 0 means timeout/4; otherwise at least 100 and less than half "
        "the (effective) timeout."},
    Key{"watchdog", "magic_close", K::boolean, 0, 0, "", "true",
        "On a clean stop, write 'V' so the driver disarms the watchdog."},
    Key{"lockout", "max_resets", K::integer, 1, 100, "", "3",
        "Watchdog resets within window_min that put lifeline into lockout."},
    Key{"lockout", "window_min", K::integer, 1, 10080, "min", "15",
        "The sliding window max_resets is counted over."},
    Key{"health", "file_check", K::table_array, 0, 0, "", "none",
        "Zero or more [[health.file_check]] tables."},
    Key{"health.file_check", "name", K::string, 0, 0, "", "required",
        "Unique name, 1 to 32 characters from a-z, 0-9, '_' and '-'."},
    Key{"health.file_check", "path", K::path, 0, 0, "", "required",
        "Absolute path of a file an application touches while healthy."},
    Key{"health.file_check", "max_age_ms", K::integer, 100, 3600000, "ms", "5000",
        "The check fails when the file's mtime is older than this."},
    Key{"health.file_check", "interval_ms", K::integer, 100, 3600000, "ms", "1000",
        "How often to look; at most max_age_ms."},
    Key{"blackbox", "segment_kib", K::integer, 16, 65536, "KiB", "256",
        "Size of one black-box segment file."},
    Key{"blackbox", "segments", K::integer, 2, 1024, "", "8",
        "Number of segment files in the ring."},
};

constexpr std::array<std::string_view, 5> kConfigSections{"agent", "watchdog", "lockout", "health",
                                                          "blackbox"};

constexpr std::array kBoardKeys{
    Key{"", "description", K::string, 0, 0, "", "required", "One line naming the hardware."},
    Key{"", "hal", K::string, 0, 0, "", "required",
        "Hardware layer: \"linux\" (real devices) or \"sim\" (simulated, for demos and tests)."},
    Key{"watchdog", "device", K::path, 0, 0, "", "required",
        "Watchdog device; an absolute path for hal = \"linux\", any name for \"sim\"."},
    Key{"watchdog", "max_timeout_s", K::integer, 1, 65535, "s", "required",
        "The driver's largest accepted timeout."},
    Key{"line", "chip", K::string, 0, 0, "", "required",
        "GPIO chip: name, label, number or /dev path (as gpiod_chip_open_lookup accepts)."},
    Key{"line", "line", K::integer, 0, 1023, "", "required", "Line offset on that chip."},
    Key{"line", "active_low", K::boolean, 0, 0, "", "false",
        "true when the output is active at low level."},
    Key{"line", "bias", K::string, 0, 0, "", R"("as-is")",
        "Bias: \"as-is\", \"disabled\", \"pull-up\" or \"pull-down\"."},
    Key{"motor_serial", "device", K::path, 0, 0, "", "required",
        "Serial device of the motor controller; an absolute path for hal = \"linux\"."},
    Key{"motor_serial", "baud", K::integer, 1200, 1000000, "", "9600",
        "Baud rate, one of the standard rates from 1200 to 1000000."},
};

constexpr std::array<std::string_view, 6> kBoardSections{
    "watchdog", "status_led", "status_led_secondary", "buzzer", "motor_enable", "motor_serial"};

constexpr std::array<std::string_view, 4> kLineRoles{"status_led", "status_led_secondary", "buzzer",
                                                     "motor_enable"};

}  // namespace

std::span<const std::string_view> config_sections() {
  return kConfigSections;
}
std::span<const Key> config_keys() {
  return kConfigKeys;
}
std::span<const std::string_view> board_sections() {
  return kBoardSections;
}
std::span<const std::string_view> board_line_roles() {
  return kLineRoles;
}
std::span<const Key> board_keys() {
  return kBoardKeys;
}

const Key* find(std::span<const Key> keys, std::string_view section, std::string_view name) {
  for (const Key& key : keys) {
    if (key.section == section && key.name == name) return &key;
  }
  return nullptr;
}

std::string_view unit_words(std::string_view unit) {
  if (unit == "ms") return "milliseconds";
  if (unit == "s") return "seconds";
  if (unit == "min") return "minutes";
  return unit;  // "KiB" reads fine as it is
}

}  // namespace lifeline::schema
