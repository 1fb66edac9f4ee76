// Watches the control app's systemd unit over the system bus, without polling: systemd's
// PropertiesChanged signals say when MainPID, ActiveState/SubState, Result, the main
// process's exit (ExecMainCode/ExecMainStatus) or NRestarts change. The MainPID feeds the
// pidfd monitor (so it follows the unit across restarts), the exit is recorded in
// systemctl's terms ("code=killed, status=9/KILL", the 2025-10-23 incident), and on a
// crash loop stop_unit() ends the unit so Restart=always cannot keep it cycling (the
// 2025-10-24 incident). docs/unit-watcher.md has the details.
//
// Everything runs on the lifeline loop: sd-bus is attached to its sd_event and every
// call is asynchronous, so a slow or wedged systemd or dbus-daemon never blocks the loop.
#pragma once

#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "motion/unit_state.hpp"
#include "util/retry_backoff.hpp"

namespace lifeline::motion {

// How the watcher's link to systemd is doing, for the owner to log or raise a fault on.
struct UnitWatchEvent {
  enum class Kind : std::uint8_t {
    bus_unavailable,  // cannot connect, or the connection dropped: once per outage
    connected,        // (re)connected and the unit's state read; state() is current
    call_failed,      // systemd answered a call with an error (once until next success)
    stop_accepted,    // systemd queued the StopUnit job that stop_unit() asked for
    stop_failed,      // systemd refused StopUnit (every time)
  } kind = Kind::bus_unavailable;
  std::string detail;  // one line, names the unit and the call
};

class UnitWatcher final : public Monitor {
 public:
  // Called on the loop whenever a watched property changed, with the whole state and the
  // transitions that matter (possibly none, e.g. for a SubState-only change). The very
  // first call compares with an empty state, so a running unit reports main_pid_changed
  // and became_active; restarts counted before lifeline started are not reported as
  // `restarted`. After a bus outage (or stop/start) the first call compares with the last
  // state reported, so transitions missed meanwhile still show. The callbacks may call
  // stop_unit() and stop(); they must not destroy the watcher.
  using ChangeCallback =
      std::function<void(const UnitState& state, const std::vector<UnitChange>& changes)>;
  using EventCallback = std::function<void(const UnitWatchEvent& event)>;

  UnitWatcher(EventLoop& loop, std::string unit, ChangeCallback on_change,
              EventCallback on_event = {});
  ~UnitWatcher() override;
  UnitWatcher(const UnitWatcher&) = delete;
  UnitWatcher& operator=(const UnitWatcher&) = delete;

  [[nodiscard]] std::string_view name() const override { return "unit-watch"; }
  // Refuses only what cannot work at all (an empty unit name, a second start, the loop
  // refusing a timer). A missing system bus is not an error here: it is reported once
  // as bus_unavailable and the watcher keeps retrying with back-off (0.25 s doubling to
  // 8 s), because the pidfd monitor still guards the app meanwhile and lifeline must
  // come up on a robot whose dbus-daemon is late or broken. Nothing is called back
  // from inside start(). `loop` must be the constructor's.
  Status start(EventLoop& loop) override;
  // Disconnects and stops retrying; the last state stays readable.
  void stop() override;

  // Asks systemd to stop the unit (Manager.StopUnit(unit, "replace")), asynchronously:
  // ok means the request is queued on the bus, the answer arrives as stop_accepted or
  // stop_failed carrying `why`. An error when there is no bus connection.
  Status stop_unit(std::string_view why);

  // The last state passed to on_change (empty before the first one).
  [[nodiscard]] const UnitState& state() const { return reported_; }
  [[nodiscard]] const std::string& unit() const { return unit_; }
  // The unit's object path from LoadUnit (or the escaped name if LoadUnit failed).
  [[nodiscard]] const std::string& object_path() const { return path_; }
  // True between a connected event and the next bus_unavailable.
  [[nodiscard]] bool connected() const { return connected_; }
  // Why the bus is unavailable, from the latest attempt; empty while connected.
  [[nodiscard]] const std::string& bus_problem() const { return bus_problem_; }

  static constexpr std::chrono::milliseconds kFirstRetry{250};
  static constexpr std::chrono::milliseconds kMaxRetry{8000};

 private:
  // One bus connection with the slots lifeline owns on it. Method calls use floating
  // slots (owned by the bus), so closing the bus is enough to cancel them.
  struct Connection {
    sd_bus* bus = nullptr;
    sd_bus_slot* filter = nullptr;      // sees the local Disconnected signal
    sd_bus_slot* owner = nullptr;       // NameOwnerChanged for org.freedesktop.systemd1
    sd_bus_slot* properties = nullptr;  // PropertiesChanged on the unit's path
  };
  struct StopRequest;
  // Counts a callback as running, so stop() knows not to free the bus under it.
  struct Dispatching {
    explicit Dispatching(int& counter) : depth(++counter) {}
    ~Dispatching() { --depth; }
    Dispatching(const Dispatching&) = delete;
    Dispatching& operator=(const Dispatching&) = delete;
    int& depth;
  };

  void connect();
  void on_retry();
  void schedule_retry();
  void report_outage(const std::string& detail);
  void report_call_failure(const std::string& detail);
  void emit(UnitWatchEvent::Kind kind, std::string detail);
  void subscribe();
  void load();
  void on_unit_path(std::string path);
  void fetch(bool unit_interface);
  void finish_call(bool ok);
  void settle();
  void lost_connection(sd_bus* bus, const std::string& detail);
  void retire_connection();
  void release(Connection& connection);
  void clear_retired();
  [[nodiscard]] bool current(sd_bus_message* message) const;

  // Bus callbacks: `dispatch` counts the callback as running and drops messages from a
  // connection that is no longer the current one, then calls the member handler (both
  // unit_watcher.cpp and unit_watcher_read.cpp send calls with it).
  template <void (UnitWatcher::*Handler)(sd_bus_message*)>
  static int dispatch(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
    auto* self = static_cast<UnitWatcher*>(userdata);
    const Dispatching guard(self->dispatching_);
    if (self->current(m)) (self->*Handler)(m);
    return 0;
  }
  static int on_filter(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int on_stopped(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static void free_stop_request(void* userdata);
  void on_owner_changed(sd_bus_message* m);
  void on_properties_changed(sd_bus_message* m);
  void on_subscribed(sd_bus_message* m);
  void on_loaded(sd_bus_message* m);
  void on_unit_properties(sd_bus_message* m) { on_get_all(m, true); }
  void on_service_properties(sd_bus_message* m) { on_get_all(m, false); }
  void on_get_all(sd_bus_message* m, bool unit_interface);

  EventLoop& loop_;
  std::string unit_;
  ChangeCallback on_change_;
  EventCallback on_event_;
  bool running_ = false;

  Connection conn_;
  std::vector<Connection> retired_;  // dropped inside a bus callback; freed off it
  int dispatching_ = 0;              // > 0 while one of this watcher's callbacks runs
  OneshotTimer retry_;
  RetryBackoff backoff_{kFirstRetry, kMaxRetry};

  std::string path_;
  int pending_ = 0;             // LoadUnit and GetAll calls in flight on conn_
  bool round_failed_ = false;   // one of them failed: retry instead of reporting
  bool reload_wanted_ = false;  // systemd (re)appeared while calls were in flight
  bool connected_ = false;
  bool subscribed_ = false;       // Subscribe answered on this connection
  bool outage_reported_ = false;  // bus_unavailable sent for the current outage
  bool call_failure_reported_ = false;
  std::string bus_problem_;

  UnitState state_;     // what the bus said last, possibly mid-load
  UnitState reported_;  // what on_change saw last
  bool have_reported_ = false;
};

}  // namespace lifeline::motion
