// Host-test support: a private system bus and a fake systemd on it. systemd is not PID 1
// on the build and CI machines, so there is no systemd to watch: a test starts its own
// dbus-daemon on a socket in a temp dir and serves systemd's Manager and one service unit
// on it, from a second thread with sd-bus. Whatever watches the unit (a UnitWatcher in
// the test process, or the real lifeline binary) finds the bus through
// DBUS_SYSTEM_BUS_ADDRESS, exactly as on a robot it would find
// /run/dbus/system_bus_socket, so every message crosses a real D-Bus connection.
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lifeline::test {

// The loop of a fake service's bus thread, shared by every fake here: runs the commands
// posted from the test thread (taken from `commands` under `mutex`), answers every pending
// message, then waits up to `wait_us` for more, until `quit` is set or the daemon is gone.
void serve_bus(sd_bus* bus, const std::atomic<bool>& quit, std::mutex& mutex,
               std::vector<std::function<void()>>& commands, std::uint64_t wait_us);

// Points DBUS_SYSTEM_BUS_ADDRESS at a test's bus while it lives (sd_bus_open_system()
// reads it on every call, so set it before any connection), then puts back what was there.
class SystemBusAddress {
 public:
  explicit SystemBusAddress(const std::string& address);
  ~SystemBusAddress();
  SystemBusAddress(const SystemBusAddress&) = delete;
  SystemBusAddress& operator=(const SystemBusAddress&) = delete;

 private:
  std::optional<std::string> saved_;
};

// Runs the test's sd-event loop (an EventLoop's raw()) until `done` or `timeout`: false
// when the time ran out or the loop failed.
bool run_loop_until(sd_event* event, const std::function<bool()>& done,
                    std::chrono::milliseconds timeout);

// A private bus daemon: its own config (no service activation, so nothing is ever
// spawned for a missing name; the distro's session config would try to start systemd).
class DBusDaemon {
 public:
  explicit DBusDaemon(const std::string& dir);
  ~DBusDaemon() { kill(); }
  DBusDaemon(const DBusDaemon&) = delete;
  DBusDaemon& operator=(const DBusDaemon&) = delete;

  [[nodiscard]] std::string address() const { return "unix:path=" + socket_; }
  // Returns once the daemon printed its address, i.e. listens.
  bool start();
  // SIGKILL and reap, by PID; nothing if not running.
  void kill();
  [[nodiscard]] std::string log() const;

 private:
  std::string socket_;
  std::string config_;
  std::string log_;
  pid_t pid_ = -1;
};

// The unit's properties as the fake serves them.
struct FakeUnit {
  std::string active_state = "active";
  std::string sub_state = "running";
  std::string result = "success";
  std::uint32_t main_pid = 4242;
  std::int32_t exec_main_code = 0;
  std::int32_t exec_main_status = 0;
  std::uint32_t n_restarts = 2;
};

// systemd's Manager (Subscribe, LoadUnit, StopUnit) and one service unit's Unit and
// Service properties, served on its own thread. The unit is only touched on that thread:
// the test queues changes, the thread applies and signals them.
class FakeSystemd {
 public:
  // `path` "" serves the unit at systemd's escaped object path for `unit_name`.
  FakeSystemd(const std::string& address, std::string unit_name, FakeUnit unit,
              std::string path = "");
  ~FakeSystemd();
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  // Connected, objects exported and org.freedesktop.systemd1 owned.
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] int subscribes() const { return subscribes_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  // Every StopUnit call received, as (unit, mode).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> stop_calls() const;
  // Every StartUnit/RestartUnit call received, as "Method unit mode".
  [[nodiscard]] std::vector<std::string> job_calls() const;

  // Like systemd (src/core/dbus-unit.c, send_changed_signal): one PropertiesChanged for
  // the Service interface first, then one for Unit, each with every EMITS_CHANGE value.
  void change(std::function<void(FakeUnit&)> edit);
  // A PropertiesChanged that only names MainPID as invalidated, without its value.
  void invalidate_main_pid(std::uint32_t pid);

 private:
  void post(std::function<void()> command);
  void run();

  static int on_subscribe(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int on_load_unit(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int on_stop_unit(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int on_job(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int get(sd_bus* bus, const char* path, const char* interface, const char* property,
                 sd_bus_message* reply, void* userdata, sd_bus_error* error);

  sd_bus* bus_ = nullptr;
  std::string unit_name_;
  FakeUnit unit_;
  std::string path_;
  bool ok_ = false;
  std::atomic<bool> quit_{false};
  std::atomic<int> subscribes_{0};
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  std::vector<std::pair<std::string, std::string>> stop_calls_;
  std::vector<std::string> job_calls_;
  std::thread thread_;
};

}  // namespace lifeline::test
