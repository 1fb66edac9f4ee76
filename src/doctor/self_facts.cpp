#include "doctor/self_facts.hpp"

#include <gpiod.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "config/loader.hpp"
#include "util/proc.hpp"

namespace lifeline::doctor {
namespace {

struct ChipCloser {
  void operator()(gpiod_chip* chip) const { gpiod_chip_close(chip); }
};

std::string error_text(int error) {
  return std::strerror(error);  // NOLINT(concurrency-mt-unsafe): doctor runs one thread
}

DeviceState state_for_errno(int error) {
  return error == EACCES || error == EPERM ? DeviceState::inaccessible : DeviceState::missing;
}

// A device node by path: there (after symlinks: /dev/serial0 -> ttyS0), and openable for
// reading and writing by this user. `real` gets the canonical path for the holder scan.
DeviceFact path_device(const std::string& role, const std::string& path, std::string& real) {
  DeviceFact fact{role, path, DeviceState::ok, ""};
  std::error_code error;
  const std::filesystem::path canonical = std::filesystem::canonical(path, error);
  if (error) {
    fact.state = state_for_errno(error.value());
    fact.detail = error.message();
    return fact;
  }
  real = canonical.string();
  if (real != path) fact.detail = "-> " + real;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    fact.state = DeviceState::missing;
    fact.detail = real + " is not a character device";
    return fact;
  }
  if (::access(real.c_str(), R_OK | W_OK) != 0) {
    fact.state = DeviceState::inaccessible;
    fact.detail = error_text(errno);
  }
  return fact;
}

DeviceFact line_device(const std::string& role, const LineRole& line) {
  DeviceFact fact{role, line.chip + " line " + std::to_string(line.offset), DeviceState::ok, ""};
  std::unique_ptr<gpiod_chip, ChipCloser> chip(gpiod_chip_open_lookup(line.chip.c_str()));
  if (!chip) {
    const int error = errno;
    fact.state = state_for_errno(error);
    fact.detail = "GPIO chip '" + line.chip + "': " + error_text(error);
    return fact;
  }
  const unsigned lines = gpiod_chip_num_lines(chip.get());
  if (line.offset >= lines) {
    fact.state = DeviceState::missing;
    fact.detail = std::string(gpiod_chip_name(chip.get())) + " has " + std::to_string(lines) +
                  " lines (0-" + std::to_string(lines == 0 ? 0 : lines - 1) + ")";
    return fact;
  }
  gpiod_line* handle = gpiod_chip_get_line(chip.get(), line.offset);
  if (handle == nullptr) {
    fact.state = DeviceState::missing;
    fact.detail = error_text(errno);
    return fact;
  }
  fact.detail = gpiod_chip_name(chip.get());
  if (gpiod_line_is_used(handle)) {
    const char* consumer = gpiod_line_consumer(handle);
    const std::string who = consumer != nullptr ? consumer : "";
    fact.detail += who.empty() ? ", in use by the kernel" : ", held by consumer '" + who + "'";
    if (who != "lifeline") fact.state = DeviceState::busy;
  }
  return fact;
}

// Writable now, or creatable (the agent makes it at start); and on a disk, not in RAM.
DeviceFact state_directory(const std::string& dir, std::string& volatile_fs) {
  DeviceFact fact{"state_dir", dir, DeviceState::ok, ""};
  std::string existing = dir;
  while (!existing.empty() && ::access(existing.c_str(), F_OK) != 0) {
    existing = std::filesystem::path(existing).parent_path().string();
    if (existing == "/") break;
  }
  if (existing != dir) fact.detail = "created at start under " + existing;
  if (::access(existing.c_str(), W_OK) != 0) {
    fact.state = DeviceState::inaccessible;
    fact.detail = existing + ": " + error_text(errno);
    return fact;
  }
  struct statfs fs {};
  if (::statfs(existing.c_str(), &fs) == 0) {
    // f_type is a signed int on 32-bit ARM and RAMFS_MAGIC does not fit one: compare the
    // 32 bits the magic numbers have.
    const auto type = static_cast<std::uint32_t>(fs.f_type);
    if (type == TMPFS_MAGIC) volatile_fs = "tmpfs";
    if (type == RAMFS_MAGIC) volatile_fs = "ramfs";
  }
  return fact;
}

std::string base_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A device another process has open is busy: lifeline could not have it alone. lifeline
// itself is not another process: `self`, and any process named "lifeline" (the agent,
// when a person runs doctor beside it, or the agent's own doctor child).
void mark_held(std::vector<DeviceFact>& devices,
               const std::vector<std::pair<std::size_t, std::string>>& by_path, pid_t self) {
  std::vector<std::string> paths;
  paths.reserve(by_path.size());
  for (const auto& [index, real] : by_path) paths.push_back(real);
  const auto holders = open_file_holders(paths);
  for (const auto& [index, real] : by_path) {
    const auto found = holders.find(real);
    DeviceFact& device = devices[index];
    if (found == holders.end() || device.state != DeviceState::ok) continue;
    std::string who;
    for (const FileHolder& h : found->second) {
      if (h.pid == self || h.comm == "lifeline") continue;
      who += (who.empty() ? "" : ", ") + ("PID " + std::to_string(h.pid) + " (" + h.comm + ")");
    }
    if (who.empty()) continue;
    device.state = DeviceState::busy;
    device.detail += (device.detail.empty() ? "held by " : ", held by ") + who;
  }
}

// The kernel console= that names `serial` (or, live, the device it links to), or "".
std::string console_on(const SystemFiles& files, const std::string& serial, bool live) {
  std::string real = serial;
  std::error_code error;
  if (live) {
    if (auto canonical = std::filesystem::canonical(serial, error); !error) {
      real = canonical.string();
    }
  }
  for (const std::string& console : kernel_consoles(files.read("/proc/cmdline").value_or(""))) {
    if (console == base_name(serial) || console == base_name(real)) return console;
  }
  return "";
}

}  // namespace

SelfFacts gather_self_facts(const SystemFiles& files, const SelfFactsRequest& request) {
  SelfFacts facts;
  facts.config_path = request.config_path;
  facts.config_found = std::filesystem::exists(request.config_path);
  if (!facts.config_found) return facts;
  const auto loaded = lifeline::load_config(request.config_path);
  if (!loaded) {
    facts.config_error = loaded.error().message;
    return facts;
  }
  const Config& config = *loaded;
  facts.config_warnings = config.warnings;
  facts.app_unit = config.motion.app.unit;
  facts.board = config.board.name + " (" + config.board.description + ")";
  facts.sim_board = config.board.hal == HalKind::sim;
  facts.state_dir = config.agent.state_dir;
  const bool serial_used = config.motion.enabled && config.motion.protocol != "none";
  const std::string serial = !config.motion.serial_device.empty() ? config.motion.serial_device
                             : config.board.motor_serial ? config.board.motor_serial->device
                                                         : "";
  if (serial_used && !serial.empty()) {
    facts.serial_console = console_on(files, serial, request.live);
  }
  if (!request.live) return facts;

  facts.devices.push_back(state_directory(config.agent.state_dir, facts.state_dir_volatile_fs));
  if (facts.sim_board) return facts;  // no device of the sim HAL is the host's
  facts.devices_checked = true;
  std::vector<std::pair<std::size_t, std::string>> by_path;  // device index, canonical path
  const auto add_path = [&](const std::string& role, const std::string& path) {
    std::string real;
    facts.devices.push_back(path_device(role, path, real));
    if (!real.empty()) by_path.emplace_back(facts.devices.size() - 1, real);
  };
  if (config.watchdog.enabled) {
    add_path("watchdog", config.watchdog.device.empty() ? config.board.watchdog.device
                                                        : config.watchdog.device);
  }
  if (serial_used) add_path("motor_serial", serial);
  const std::pair<const char*, const std::optional<LineRole>*> lines[] = {
      {"status_led", &config.board.status_led},
      {"status_led_secondary", &config.board.status_led_secondary},
      {"buzzer", &config.board.buzzer},
      {"motor_enable", config.motion.enabled && config.motion.use_enable_line
                           ? &config.board.motor_enable
                           : nullptr}};
  for (const auto& [role, line] : lines) {
    if (line != nullptr && line->has_value()) facts.devices.push_back(line_device(role, **line));
  }

  mark_held(facts.devices, by_path, request.self);
  return facts;
}

}  // namespace lifeline::doctor
