// The unit watcher's connection to the system bus: start and stop, connecting (again) on
// the back-off, the connection's loss and release, systemd leaving or taking its bus name,
// and stop_unit(). Reading the unit's state is in unit_watcher_read.cpp.
#include "motion/unit_watcher.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "motion/unit_watcher_wire.hpp"

namespace lifeline::motion {

namespace {

// The bus names and the message parsing: unit_watcher_wire.hpp.
using namespace unit_wire;  // NOLINT(google-build-using-namespace): this file is its user

// After the stop path's and the monitors' sources: when the app dies, its pidfd is
// handled before systemd's account of the death.
constexpr int kBusPriority = 10;

}  // namespace

struct UnitWatcher::StopRequest {
  UnitWatcher* self;
  std::string why;
};

UnitWatcher::UnitWatcher(EventLoop& loop, std::string unit, ChangeCallback on_change,
                         EventCallback on_event)
    : loop_(loop),
      unit_(std::move(unit)),
      on_change_(std::move(on_change)),
      on_event_(std::move(on_event)) {}

UnitWatcher::~UnitWatcher() {
  stop();
  clear_retired();
}

Status UnitWatcher::start(EventLoop& /*loop*/) {
  if (unit_.empty()) return Error{EINVAL, "unit watch: no unit name given"};
  if (running_) return Error{EALREADY, "unit watch: " + unit_ + " is already watched"};
  if (!retry_.prepared()) {
    if (auto s = loop_.prepare_oneshot(retry_, "unit-watch-retry", [this] { on_retry(); }); !s) {
      return s;
    }
  }
  running_ = true;
  outage_reported_ = false;
  call_failure_reported_ = false;
  backoff_.reset();
  // The first connection attempt runs on the loop, so start() never calls back.
  retry_.arm_after(std::chrono::microseconds(0));
  return ok_status();
}

void UnitWatcher::stop() {
  running_ = false;
  retry_.disarm();
  retire_connection();
  // Inside one of our own callbacks the bus is still dispatching: free it off the bus.
  if (dispatching_ > 0) {
    retry_.arm_after(std::chrono::microseconds(0));
  } else {
    clear_retired();
  }
}

Status UnitWatcher::stop_unit(std::string_view why) {
  if (!running_ || conn_.bus == nullptr || sd_bus_is_open(conn_.bus) <= 0) {
    return Error{ENOTCONN, "cannot stop " + unit_ + ": no system bus connection" +
                               (bus_problem_.empty() ? "" : " (" + bus_problem_ + ")")};
  }
  auto request = std::make_unique<StopRequest>(StopRequest{this, std::string(why)});
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_call_method_async(conn_.bus, &slot, kSystemd, kManagerPath, kManager, "StopUnit",
                                   on_stopped, request.get(), "ss", unit_.c_str(), "replace");
  if (r < 0) return Error{-r, "cannot stop " + unit_ + ": StopUnit: " + errno_text(r)};
  // The request lives as long as the call's slot; the bus owns the slot from here on, so
  // closing the bus frees both even if systemd never answers.
  sd_bus_slot_set_destroy_callback(slot, free_stop_request);
  (void)request.release();
  sd_bus_slot_set_floating(slot, 1);
  sd_bus_slot_unref(slot);
  return ok_status();
}

void UnitWatcher::connect() {
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system_with_description(&bus, "lifeline-unit-watch");
  if (r < 0) {
    report_outage("cannot connect to the system bus at " + bus_address() + ": " + errno_text(r));
    schedule_retry();
    return;
  }
  Connection c{bus};
  const auto fail = [&](const char* step, int error) {
    release(c);
    report_outage("system bus at " + bus_address() + ": " + step + ": " + errno_text(error));
    schedule_retry();
  };
  // sd-bus would otherwise end the whole loop when the bus drops, and flush (block) on
  // the loop's exit; lifeline handles both itself.
  if ((r = sd_bus_set_exit_on_disconnect(bus, 0)) < 0) return fail("exit-on-disconnect", r);
  if ((r = sd_bus_set_close_on_exit(bus, 0)) < 0) return fail("close-on-exit", r);
  if ((r = sd_bus_attach_event(bus, loop_.raw(), kBusPriority)) < 0) return fail("attach", r);
  if ((r = sd_bus_add_filter(bus, &c.filter, on_filter, this)) < 0) return fail("filter", r);
  r = sd_bus_add_match_async(bus, &c.owner, kOwnerMatch, dispatch<&UnitWatcher::on_owner_changed>,
                             nullptr, this);
  if (r < 0) return fail("NameOwnerChanged match", r);
  conn_ = c;
  subscribe();
  load();
}

void UnitWatcher::on_retry() {
  clear_retired();
  if (!running_) return;
  if (conn_.bus == nullptr) {
    connect();
    return;
  }
  if (!subscribed_) subscribe();
  load();
}

void UnitWatcher::schedule_retry() {
  if (!running_ || retry_.armed()) return;
  backoff_.failed(loop_.now());
  retry_.arm_after(backoff_.wait());
}

void UnitWatcher::emit(UnitWatchEvent::Kind kind, std::string detail) {
  if (on_event_) on_event_(UnitWatchEvent{kind, std::move(detail)});
}

void UnitWatcher::report_outage(const std::string& detail) {
  bus_problem_ = detail;
  // One report per outage, not one per retry.
  if (!std::exchange(outage_reported_, true)) emit(UnitWatchEvent::Kind::bus_unavailable, detail);
}

void UnitWatcher::report_call_failure(const std::string& detail) {
  if (!std::exchange(call_failure_reported_, true)) emit(UnitWatchEvent::Kind::call_failed, detail);
}

bool UnitWatcher::current(sd_bus_message* message) const {
  // Replies failed by a closing bus are left to the Disconnected handler.
  return conn_.bus != nullptr && sd_bus_message_get_bus(message) == conn_.bus &&
         sd_bus_is_open(conn_.bus) > 0;
}

void UnitWatcher::lost_connection(sd_bus* bus, const std::string& detail) {
  if (bus != conn_.bus) return;
  retire_connection();  // still dispatching: parked, freed by the retry timer
  report_outage(detail);
  schedule_retry();
}

void UnitWatcher::retire_connection() {
  if (conn_.bus != nullptr) retired_.push_back(std::exchange(conn_, Connection{}));
  pending_ = 0;
  round_failed_ = reload_wanted_ = connected_ = subscribed_ = false;
}

void UnitWatcher::release(Connection& c) {
  sd_bus_slot_unref(c.properties);
  sd_bus_slot_unref(c.owner);
  sd_bus_slot_unref(c.filter);
  if (c.bus != nullptr) {
    sd_bus_detach_event(c.bus);
    sd_bus_close_unref(c.bus);  // no flush: a wedged daemon must not block the loop
  }
  c = Connection{};
}

void UnitWatcher::clear_retired() {
  for (auto& c : retired_) release(c);
  retired_.clear();
}

int UnitWatcher::on_filter(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  auto* self = static_cast<UnitWatcher*>(userdata);
  Dispatching guard(self->dispatching_);
  if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") <= 0) return 0;
  self->lost_connection(sd_bus_message_get_bus(m),
                        "lost the system bus connection at " + bus_address());
  return 1;
}

void UnitWatcher::on_owner_changed(sd_bus_message* m) {
  const char* name = nullptr;
  const char* old_owner = nullptr;
  const char* new_owner = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
      std::strcmp(name, kSystemd) != 0) {
    return;
  }
  subscribed_ = false;
  if (new_owner[0] == '\0') {
    connected_ = false;
    report_outage("systemd (" + std::string(kSystemd) + ") left the system bus");
    return;
  }
  subscribe();
  load();
}

int UnitWatcher::on_stopped(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  const auto* request = static_cast<const StopRequest*>(userdata);
  UnitWatcher* self = request->self;
  Dispatching guard(self->dispatching_);
  const std::string call = "StopUnit(" + self->unit_ + ", replace) for " + request->why;
  const char* job = nullptr;
  if (sd_bus_message_is_method_error(m, nullptr) > 0) {
    self->emit(UnitWatchEvent::Kind::stop_failed, call + ": " + error_text(m));
  } else if (sd_bus_message_read(m, "o", &job) < 0) {
    self->emit(UnitWatchEvent::Kind::stop_failed, call + ": unreadable reply");
  } else {
    self->emit(UnitWatchEvent::Kind::stop_accepted, call + ": job " + job);
  }
  return 0;
}

void UnitWatcher::free_stop_request(void* userdata) {
  delete static_cast<StopRequest*>(userdata);
}

}  // namespace lifeline::motion
