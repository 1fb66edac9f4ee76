// The typed configuration. Defaults live here (and only here); docs/configuration.md
// lists every key with them, checked by a test.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "board/board.hpp"
#include "exclusivity/exclusivity_config.hpp"
#include "memory/memory_config.hpp"
#include "motion/motion_config.hpp"
#include "rescue/rescue_config.hpp"

namespace lifeline {

using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

// [agent]
struct AgentConfig {
  std::string board = "pi4";  // a board name (searched in the boards dirs) or a path with '/'
  std::string state_dir = "/var/lib/lifeline";
  std::string control_socket = "/run/lifeline/control.sock";
  Millis loop_deadline{2000};  // the loop's own liveness check deadline
  // SCHED_FIFO priority of the loop thread; 0 = unchanged. 10 by default: at normal
  // priority the woken loop waited 8-10 ms for a CPU that systemd and journald held while
  // reacting to the same app death (docs/performance.md, "Motor dead-man").
  int realtime_priority = 10;
};

// [watchdog]
struct WatchdogConfig {
  bool enabled = true;
  std::string device;       // empty: the board's watchdog.device
  Seconds timeout{15};      // clamped to the board's max_timeout
  Millis pet_interval{0};   // 0: timeout / 4
  bool magic_close = true;  // on a clean stop, disarm with 'V'
};

// [lockout]
struct LockoutConfig {
  std::uint32_t max_resets = 3;  // resets within `window` that put lifeline in lockout
  std::chrono::minutes window{15};
};

// [[health.file_check]]: a file whose mtime must stay fresh (an app touching it).
struct FileCheckConfig {
  std::string name;
  std::string path;
  Millis max_age{5000};
  Millis interval{1000};
};

// [health]
struct HealthConfig {
  std::vector<FileCheckConfig> file_checks;
};

// [blackbox]
struct BlackBoxConfig {
  std::uint32_t segment_bytes = 256 * 1024;
  std::uint32_t segments = 8;
};

// [signals]: the status LED and the buzzer.
struct SignalsConfig {
  Seconds buzzer_reminder{0};   // 0: each critical onset beeps once
  bool quiet = false;           // buzzer silent (the LED still shows everything)
  int quiet_start_minute = -1;  // daily quiet window, minutes since local midnight; -1 = none
  int quiet_end_minute = -1;
};

// [motion.app]: how to find the control app's main process.
struct AppConfig {
  std::string pidfile;           // absolute path of a file holding the app's PID
  std::string exe;               // absolute path of the app's binary (matched via /proc/PID/exe)
  std::string unit;              // systemd unit whose MainPID and state are watched (sd-bus)
  Millis resolve_interval{250};  // while no live process is known, look this often
  std::uint32_t crash_loop_deaths = 5;  // deaths within the window that make a crash loop
  Seconds crash_loop_window{60};
  bool stop_unit_on_crash_loop = false;  // stop the unit (sd-bus) instead of letting it loop
  bool operator==(const AppConfig&) const = default;
};

// [motion]: the motor dead-man.
struct MotionConfig {
  bool enabled = false;
  int stop_category = 0;        // IEC 60204-1 stop category: 0 or 1
  Millis cat1_delay{500};       // category 1: stop frame first, enable dropped after this
  Millis stop_repeat{200};      // the stop frame is resent this often while stopped
  Millis auto_rearm_after{0};   // 0: only an operator re-arms; else re-arm after healthy this long
  bool use_enable_line = true;  // drive the board's motor_enable line
  std::string serial_device;    // "" = the board's motor_serial device
  std::string protocol = "none";  // motor protocol name, or "none" (enable line only)
  std::uint32_t address = 128;
  std::vector<std::uint8_t> odrive_axes{0, 1};
  std::string odrive_stop = "both";
  std::string custom_stop_hex;
  Millis controller_timeout{0};                // the controller's own serial timeout (second layer)
  bool reset_board_on_output_failure = false;  // failing outputs close the health gate
  AppConfig app;
  bool lease_enabled = false;
  LeaseConfig lease;
  HttpProbeConfig http_probe;  // url "" = no probe
  bool operator==(const MotionConfig&) const = default;
};

struct Config {
  std::string source_path;  // the file it was read from, for messages
  AgentConfig agent;
  WatchdogConfig watchdog;
  LockoutConfig lockout;
  HealthConfig health;
  BlackBoxConfig blackbox;
  MotionConfig motion;
  SignalsConfig signals;
  MemoryConfig memory;
  RescueConfig rescue;
  ExclusivityConfig exclusivity;
  Board board;                        // loaded from agent.board as part of validation
  std::vector<std::string> warnings;  // accepted but worth logging (file:line:col: ...)
};

}  // namespace lifeline
