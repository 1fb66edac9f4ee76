// Host-test support: a fake systemd Manager with many service units and unit files, for
// the exclusivity tests (FakeSystemd in system_bus.hpp serves one unit for the watchers).
// It answers what lifeline's exclusivity check asks (Subscribe, ListUnits, ListUnitFiles,
// LoadUnit, GetAll on each unit's Unit and Service interfaces, StopUnit, MaskUnitFiles,
// UnmaskUnitFiles, Reload, GetUnitFileState), changes its units the way systemd would
// (a stopped unit goes inactive, a masked file reads "masked"; with a unit directory, the
// mask is a real /dev/null symlink there and, like systemd, refused over a regular file),
// and emits the Manager's
// signals (UnitNew, UnitFilesChanged, Reloading, JobRemoved) when told to, on a real
// dbus-daemon. It runs on its own thread; the test queues changes and reads the calls.
#pragma once

#include <systemd/sd-bus.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lifeline::test {

struct FakeService {
  std::string name;  // "mediamtx.service"
  std::string active_state = "inactive";
  std::string unit_file_state = "enabled";
  std::string unit_file_preset = "enabled";
  std::string exec_path;  // ExecStart's path
  std::vector<std::string> exec_argv;
  std::uint32_t main_pid = 0;
  std::string control_group;  // while active; "" = /system.slice/NAME, as without Slice=
  bool loaded = true;         // listed by ListUnits (else only by ListUnitFiles)
};

struct ManagerCall {
  std::string text;  // "StopUnit mediamtx.service replace", "Reload", ...
  std::chrono::steady_clock::time_point at;
};

class FakeUnitManager {
 public:
  explicit FakeUnitManager(const std::string& address);
  ~FakeUnitManager();
  FakeUnitManager(const FakeUnitManager&) = delete;
  FakeUnitManager& operator=(const FakeUnitManager&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] int subscribes() const { return subscribes_; }

  // Adds (or replaces) a unit without telling anyone: found by the next ListUnits.
  void add(FakeService service);
  // Adds it and emits UnitNew (when loaded) and UnitFilesChanged, like a unit file
  // installed and started. Returns when the signals were sent, with the time they were.
  // With files_changed false, a unit whose file systemd already had is started instead:
  // UnitNew and JobRemoved, no UnitFilesChanged.
  std::chrono::steady_clock::time_point add_and_announce(FakeService service,
                                                         bool files_changed = true);
  // Removes the unit (no signal).
  void remove(const std::string& name);
  // Where the unit files are, as /etc/systemd/system is systemd's: FragmentPath and
  // ListUnitFiles name DIR/UNIT, MaskUnitFiles makes DIR/UNIT -> /dev/null (replacing a
  // symlink, as force=true does) and fails like systemd 252, with
  // org.freedesktop.systemd1.UnitExists "File DIR/UNIT already exists.", when a regular
  // file is there; UnmaskUnitFiles removes the /dev/null symlink. Without it (the
  // default) masks only change the reported state, and files are named in
  // /etc/systemd/system.
  void set_unit_dir(std::string dir);

  [[nodiscard]] std::vector<ManagerCall> calls() const;
  // The calls whose text starts with `prefix`.
  [[nodiscard]] std::vector<std::string> calls_starting(const std::string& prefix) const;
  [[nodiscard]] std::string unit_file_state(const std::string& name) const;
  [[nodiscard]] std::size_t property_reads() const { return property_reads_; }

 private:
  void post(std::function<void()> command);
  void run();
  void log_call(std::string text);
  static std::string path_of(const std::string& name);
  std::string file_of(const std::string& name) const;  // under mutex_
  // The mask or unmask of one unit file in unit_dir_: 0, or a bus error set.
  int change_file(const std::string& name, bool mask, sd_bus_error* error) const;
  FakeService* by_path(const char* path);
  FakeService* by_name(const std::string& name);

  static int on_method(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int find_unit(sd_bus* bus, const char* path, const char* interface, void* userdata,
                       void** found, sd_bus_error* error);
  static int get(sd_bus* bus, const char* path, const char* interface, const char* property,
                 sd_bus_message* reply, void* userdata, sd_bus_error* error);

  sd_bus* bus_ = nullptr;
  bool ok_ = false;
  std::atomic<bool> quit_{false};
  std::atomic<int> subscribes_{0};
  std::atomic<std::size_t> property_reads_{0};
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  std::vector<ManagerCall> calls_;
  std::map<std::string, FakeService> units_;  // by name; touched on the thread (and under mutex_)
  std::map<std::string, std::string> unmasked_state_;
  std::string unit_dir_;  // "" = no files: names in /etc/systemd/system, nothing written
  std::uint32_t next_job_ = 100;
  std::thread thread_;
};

}  // namespace lifeline::test
