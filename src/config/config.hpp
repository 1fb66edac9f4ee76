// The typed configuration. Defaults live here (and only here); docs/configuration.md
// lists every key with them, checked by a test.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "board/board.hpp"

namespace lifeline {

using Millis = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

// [agent]
struct AgentConfig {
  std::string board = "pi4";  // a board name (searched in the boards dirs) or a path with '/'
  std::string state_dir = "/var/lib/lifeline";
  std::string control_socket = "/run/lifeline/control.sock";
  Millis loop_deadline{2000};  // the loop's own liveness check deadline
};

// [watchdog]
struct WatchdogConfig {
  bool enabled = true;
  std::string device;  // empty: the board's watchdog.device
  Seconds timeout{15};  // clamped to the board's max_timeout
  Millis pet_interval{0};  // 0: timeout / 4
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

struct Config {
  std::string source_path;  // the file it was read from, for messages
  AgentConfig agent;
  WatchdogConfig watchdog;
  LockoutConfig lockout;
  HealthConfig health;
  BlackBoxConfig blackbox;
  Board board;  // loaded from agent.board as part of validation
  std::vector<std::string> warnings;  // accepted but worth logging (file:line:col: ...)
};

}  // namespace lifeline
