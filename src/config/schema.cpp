#include "config/schema.hpp"

#include <array>
#include <initializer_list>
#include <vector>

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
    Key{"agent", "realtime_priority", K::integer, 0, 99, "", "10",
        "SCHED_FIFO priority for lifeline's loop thread (the motor stop and the pets run "
        "there); 0 leaves the scheduling policy unchanged."},
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
    Key{"signals", "buzzer_reminder_s", K::integer, 0, 86400, "s", "0",
        "While a critical fault stays active, beep again this often; 0 = once per onset."},
    Key{"signals", "quiet", K::boolean, 0, 0, "", "false",
        "Silence the buzzer (the LED still shows every fault)."},
    Key{"signals", "quiet_start", K::string, 0, 0, "", R"("")",
        "Start of a daily quiet window, \"HH:MM\" local time; \"\" = no window. Needs quiet_end."},
    Key{"signals", "quiet_end", K::string, 0, 0, "", R"("")",
        "End of the daily quiet window (exclusive), \"HH:MM\"; may be earlier than quiet_start "
        "(the window wraps past midnight)."},
    Key{"motion", "enabled", K::boolean, 0, 0, "", "false",
        "Run the motor dead-man: stop the motors when a detector says the app is unfit."},
    Key{"motion", "stop_category", K::integer, 0, 1, "", "0",
        "IEC 60204-1 stop category: 0 cuts power at once; 1 sends the stop frame, then cuts "
        "power after cat1_delay_ms."},
    Key{"motion", "cat1_delay_ms", K::integer, 0, 10000, "ms", "500",
        "Category 1 only: time between the stop frame and dropping the enable line."},
    Key{"motion", "stop_repeat_ms", K::integer, 20, 5000, "ms", "200",
        "While stopped, the stop frame is sent again this often."},
    Key{"motion", "auto_rearm_after_ms", K::integer, 0, 3600000, "ms", "0",
        "0: only an operator re-arms; otherwise re-arm after the app is healthy this long "
        "(at least 1000)."},
    Key{"motion", "use_enable_line", K::boolean, 0, 0, "", "true",
        "Drive the board's motor_enable line (the board must have one)."},
    Key{"motion", "serial_device", K::path, 0, 0, "", R"("")",
        "Absolute path of the motor controller's serial device; \"\" uses the board's "
        "motor_serial device."},
    Key{"motion", "protocol", K::string, 0, 0, "", R"("none")",
        "Motor controller protocol: \"none\" (enable line only), \"sabertooth-packetized\", "
        "\"sabertooth-simplified\", \"roboclaw\", \"pololu-compact\", \"pololu\", "
        "\"odrive\" or \"custom\"."},
    Key{"motion", "address", K::integer, 0, 255, "", "128",
        "Controller address or device number; each protocol accepts its own range."},
    Key{"motion", "odrive_axes", K::integer, 0, 1, "", "[0, 1]",
        "ODrive only: an array of 1 or 2 distinct axes (0, 1) to stop."},
    Key{"motion", "odrive_stop", K::string, 0, 0, "", R"("both")",
        "ODrive only: \"velocity-zero\", \"idle\" or \"both\"."},
    Key{"motion", "custom_stop_hex", K::string, 0, 0, "", R"("")",
        "protocol = \"custom\" only (and required there): the stop frame as hex bytes, "
        "e.g. \"80 00 00 00\"."},
    Key{"motion", "controller_timeout_ms", K::integer, 0, 25500, "ms", "0",
        "0: off; otherwise (at least 100) the controller's own serial timeout, set when "
        "motion is armed."},
    Key{"motion", "reset_board_on_output_failure", K::boolean, 0, 0, "", "false",
        "When the motor outputs fail, close the health gate so the watchdog resets the board."},
    Key{"motion.app", "pidfile", K::path, 0, 0, "", R"("")",
        "Absolute path of a file holding the app's PID; \"\" for none."},
    Key{"motion.app", "exe", K::path, 0, 0, "", R"("")",
        "Absolute path of the app's executable, matched via /proc/PID/exe; \"\" for none."},
    Key{"motion.app", "unit", K::string, 0, 0, "", R"("")",
        "A systemd unit ending in .service whose main process is the app; \"\" for none."},
    Key{"motion.app", "resolve_interval_ms", K::integer, 20, 10000, "ms", "250",
        "While no live app process is known, look for one this often."},
    Key{"motion.app", "crash_loop_deaths", K::integer, 2, 100, "", "5",
        "App deaths within crash_loop_window_s that make a crash loop."},
    Key{"motion.app", "crash_loop_window_s", K::integer, 1, 86400, "s", "60",
        "The sliding window crash_loop_deaths is counted over."},
    Key{"motion.app", "stop_unit_on_crash_loop", K::boolean, 0, 0, "", "false",
        "On a crash loop, stop the unit instead of letting systemd restart it."},
    Key{"motion.lease", "enabled", K::boolean, 0, 0, "", "false",
        "Require the app to renew a heartbeat lease over a datagram socket."},
    Key{"motion.lease", "socket", K::path, 0, 0, "", R"("/run/lifeline/lease.sock")",
        "Absolute path of the lease socket; at most 107 bytes (sun_path)."},
    Key{"motion.lease", "name", K::string, 0, 0, "", R"("app")",
        "The lease the app renews: 1 to 32 characters from a-z, 0-9, '_' and '-'."},
    Key{"motion.lease", "timeout_ms", K::integer, 20, 60000, "ms", "300",
        "No renewal for this long means the app hangs."},
    Key{"motion.lease", "allowed_uid", K::integer, -1, 4294967294, "", "-1",
        "Only this uid may renew the lease (root always may); -1 allows any uid."},
    Key{"motion.lease", "max_datagrams_per_second", K::integer, 10, 100000, "", "1000",
        "Datagrams beyond this rate are ignored and counted as a flood."},
    Key{"motion.http_probe", "url", K::string, 0, 0, "", R"("")",
        "\"\": no probe; otherwise a loopback URL: http://127.x.x.x, http://localhost or "
        "http://[::1]."},
    Key{"motion.http_probe", "interval_ms", K::integer, 50, 60000, "ms", "500",
        "How often to probe."},
    Key{"motion.http_probe", "timeout_ms", K::integer, 10, 60000, "ms", "300",
        "An answer slower than this is a failure; less than interval_ms."},
    Key{"motion.http_probe", "failures", K::integer, 1, 100, "", "3",
        "Consecutive failed probes that mean the app is unfit."},
};

constexpr std::array<std::string_view, 10> kCoreSections{
    "agent",   "watchdog", "lockout",    "health",       "blackbox",
    "signals", "motion",   "motion.app", "motion.lease", "motion.http_probe"};

// The core table above plus each capability's own (schema_<capability>.cpp), in file order.
template <typename T>
std::vector<T> joined(std::initializer_list<std::span<const T>> parts) {
  std::vector<T> all;
  for (auto part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

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
  static const auto all = joined<std::string_view>(
      {kCoreSections, memory_sections(), rescue_sections(), exclusivity_sections()});
  return all;
}
std::span<const Key> config_keys() {
  static const auto all =
      joined<Key>({kConfigKeys, memory_keys(), rescue_keys(), exclusivity_keys()});
  return all;
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
