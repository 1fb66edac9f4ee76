// The unit watcher's reading of the unit: Subscribe, LoadUnit, the PropertiesChanged
// match, GetAll of the Unit and Service interfaces, and the settled state passed to
// on_change with its transitions. The connection and its retries are in unit_watcher.cpp.
#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "motion/unit_watcher.hpp"
#include "motion/unit_watcher_wire.hpp"

namespace lifeline::motion {

namespace {
// The bus names and the message parsing: unit_watcher_wire.hpp.
using namespace unit_wire;  // NOLINT(google-build-using-namespace): this file is its user
}  // namespace

// Without Subscribe systemd does not send unit signals at all.
void UnitWatcher::subscribe() {
  int r =
      sd_bus_call_method_async(conn_.bus, nullptr, kSystemd, kManagerPath, kManager, "Subscribe",
                               dispatch<&UnitWatcher::on_subscribed>, this, nullptr);
  if (r < 0) {
    report_call_failure("Subscribe: " + errno_text(r));
    schedule_retry();
  }
}

// LoadUnit, then (match, GetAll Unit, GetAll Service): a round ends when all answered.
void UnitWatcher::load() {
  if (conn_.bus == nullptr) return;
  if (pending_ > 0) {
    reload_wanted_ = true;  // after the calls in flight, so answers never interleave
    return;
  }
  round_failed_ = false;
  int r = sd_bus_call_method_async(conn_.bus, nullptr, kSystemd, kManagerPath, kManager, "LoadUnit",
                                   dispatch<&UnitWatcher::on_loaded>, this, "s", unit_.c_str());
  if (r < 0) {
    report_call_failure("LoadUnit(" + unit_ + "): " + errno_text(r));
    schedule_retry();
    return;
  }
  ++pending_;
}

void UnitWatcher::on_unit_path(std::string path) {
  if (conn_.properties != nullptr && path != path_) {
    conn_.properties = sd_bus_slot_unref(conn_.properties);
  }
  path_ = std::move(path);
  if (conn_.properties == nullptr) {
    // Installed before the GetAll calls are sent: the daemon handles one connection's
    // messages in order, so no change can fall between the read and the subscription.
    // If the daemon refuses the match, sd-bus closes the connection (its default without
    // an install callback), which the Disconnected path turns into a reconnect.
    int r = sd_bus_match_signal_async(conn_.bus, &conn_.properties, kSystemd, path_.c_str(),
                                      kProperties, "PropertiesChanged",
                                      dispatch<&UnitWatcher::on_properties_changed>, nullptr, this);
    if (r < 0) {
      report_call_failure("PropertiesChanged match on " + path_ + ": " + errno_text(r));
      round_failed_ = true;
    }
  }
  fetch(true);
  fetch(false);
}

void UnitWatcher::fetch(bool unit_interface) {
  const char* interface = unit_interface ? kUnitInterface : kServiceInterface;
  auto* handler = unit_interface ? dispatch<&UnitWatcher::on_unit_properties>
                                 : dispatch<&UnitWatcher::on_service_properties>;
  int r = sd_bus_call_method_async(conn_.bus, nullptr, kSystemd, path_.c_str(), kProperties,
                                   "GetAll", handler, this, "s", interface);
  if (r < 0) {
    report_call_failure("GetAll(" + std::string(interface) + "): " + errno_text(r));
    round_failed_ = true;
    schedule_retry();
    return;
  }
  ++pending_;
}

void UnitWatcher::finish_call(bool ok) {
  pending_ = std::max(pending_ - 1, 0);
  if (!ok) round_failed_ = true;
  if (pending_ > 0) return;
  if (reload_wanted_) {
    reload_wanted_ = false;
    load();
    return;
  }
  if (round_failed_) {
    schedule_retry();
    return;
  }
  settle();
}

void UnitWatcher::settle() {
  call_failure_reported_ = false;
  backoff_.reset();
  if (!connected_) {
    connected_ = true;
    outage_reported_ = false;
    bus_problem_.clear();
    emit(UnitWatchEvent::Kind::connected,
         "watching " + unit_ + " at " + path_ + ": " + describe_unit_state(state_));
    if (!running_) return;
  }
  if (have_reported_ && state_ == reported_) return;
  UnitState before = reported_;
  if (!have_reported_) {
    before = UnitState{};
    before.n_restarts = state_.n_restarts;  // restarts from before lifeline are history
  }
  const std::vector<UnitChange> changes = diff_unit_state(before, state_);
  reported_ = state_;
  have_reported_ = true;
  if (on_change_) on_change_(reported_, changes);
}

void UnitWatcher::on_properties_changed(sd_bus_message* m) {
  const char* interface = nullptr;
  if (sd_bus_message_read_basic(m, 's', &interface) < 0) return;
  const bool unit = std::strcmp(interface, kUnitInterface) == 0;
  if (!unit && std::strcmp(interface, kServiceInterface) != 0) return;
  // systemd sends the Service signal before the Unit one (src/core/dbus-unit.c), so
  // when ActiveState turns "failed" here, Result and the exit are already current.
  UnitState next = state_;
  bool refetch = false;
  int r = read_properties(m, next);
  if (r >= 0) r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "s");
  const char* name = nullptr;
  while (r >= 0 && (r = sd_bus_message_read_basic(m, 's', &name)) > 0) refetch |= tracked(name);
  if (r < 0) {
    report_call_failure("unreadable PropertiesChanged on " + path_ + ": " + errno_text(r));
    return;
  }
  state_ = next;
  // Invalidated means "changed, ask for the value": read the interface again.
  if (refetch) fetch(unit);
  if (pending_ == 0 && !round_failed_) settle();
}

void UnitWatcher::on_subscribed(sd_bus_message* m) {
  const sd_bus_error* e = sd_bus_message_get_error(m);
  if (e == nullptr || sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed")) {
    subscribed_ = true;
    return;
  }
  report_call_failure("Subscribe: " + error_text(m));
  schedule_retry();
}

void UnitWatcher::on_loaded(sd_bus_message* m) {
  const char* path = nullptr;
  if (sd_bus_message_is_method_error(m, nullptr) > 0) {
    report_call_failure("LoadUnit(" + unit_ + "): " + error_text(m) + "; using the escaped path");
  } else if (sd_bus_message_read(m, "o", &path) < 0) {
    path = nullptr;
  }
  // systemd's own answer is authoritative; the escaped name is what every systemd uses,
  // and if it were wrong the GetAll calls would fail and say so.
  on_unit_path(path != nullptr ? path : unit_object_path(unit_));
  finish_call(true);
}

void UnitWatcher::on_get_all(sd_bus_message* m, bool unit_interface) {
  const std::string call =
      std::string("GetAll(") + (unit_interface ? kUnitInterface : kServiceInterface) + ")";
  UnitState next = state_;
  if (sd_bus_message_is_method_error(m, nullptr) > 0) {
    report_call_failure(call + " on " + path_ + ": " + error_text(m));
    finish_call(false);
  } else if (int r = read_properties(m, next); r < 0) {
    report_call_failure("unreadable " + call + " reply: " + errno_text(r));
    finish_call(false);
  } else {
    state_ = next;
    finish_call(true);
  }
}

}  // namespace lifeline::motion
