#include "agent/unit_jobs.hpp"

#include <systemd/sd-bus.h>

#include <memory>

#include "agent/bus_call.hpp"
#include "agent/event_loop.hpp"
#include "agent/unit_cgroup.hpp"
#include "motion/unit_watcher_wire.hpp"

namespace lifeline {

namespace {

using motion::unit_wire::errno_text;
using motion::unit_wire::error_text;
using motion::unit_wire::kProperties;

using motion::unit_wire::kManager;
using motion::unit_wire::kManagerPath;
using motion::unit_wire::kSystemd;
constexpr std::int64_t kBusPriority = 0;

struct PendingJob {
  std::string call;  // "RestartUnit(ssh.service)", for messages
  UnitJobDone done;
};

}  // namespace

std::string_view unit_verb_method(UnitVerb verb) {
  switch (verb) {
    case UnitVerb::start:
      return "StartUnit";
    case UnitVerb::stop:
      return "StopUnit";
    case UnitVerb::restart:
      return "RestartUnit";
  }
  return "StartUnit";
}

UnitJobs::~UnitJobs() {
  // Frees every pending request through its slot's destroy callback, without calling it.
  if (bus_ != nullptr) sd_bus_flush_close_unref(bus_);
}

Status UnitJobs::request(UnitVerb verb, const std::string& unit, UnitJobDone done) {
  return call(std::string(unit_verb_method(verb)).c_str(), unit, "replace", std::move(done));
}

Status UnitJobs::reboot(UnitJobDone done) {
  return call("StartUnit", "reboot.target", "replace-irreversibly", std::move(done));
}

Status UnitJobs::connect() {
  if (bus_ != nullptr && sd_bus_is_open(bus_) > 0) return ok_status();
  if (bus_ != nullptr) bus_ = sd_bus_flush_close_unref(bus_);
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system_with_description(&bus, "lifeline-unit-jobs");
  if (r < 0) return Error{-r, "cannot connect to the system bus: " + errno_text(r)};
  // The loop, not sd-bus, decides what a dropped bus means: reconnect on the next call.
  if ((r = sd_bus_set_exit_on_disconnect(bus, 0)) < 0 ||
      (r = sd_bus_set_close_on_exit(bus, 0)) < 0 ||
      (r = sd_bus_attach_event(bus, loop_.raw(), kBusPriority)) < 0) {
    sd_bus_flush_close_unref(bus);
    return Error{-r, "cannot use the system bus: " + errno_text(r)};
  }
  bus_ = bus;
  following_jobs_ = false;
  follow_jobs();
  return ok_status();
}

Status UnitJobs::on_job_removed(JobRemoved removed) {
  job_removed_.push_back(std::move(removed));
  if (auto connected = connect(); !connected) return connected;
  follow_jobs();
  return ok_status();
}

void UnitJobs::follow_jobs() {
  if (job_removed_.empty() || following_jobs_ || bus_ == nullptr) return;
  // Floating slots: they live and die with this connection, and a new connection gets its
  // own. A failure here leaves following_jobs_ false, so the next connection tries again.
  if (sd_bus_match_signal_async(bus_, nullptr, kSystemd, kManagerPath, kManager, "JobRemoved",
                                on_job_signal, nullptr, this) < 0) {
    return;
  }
  // Without Subscribe systemd sends no job signals; an already subscribed client (or a
  // refusal) changes nothing here, so the answer is not waited for.
  if (bus_call(
          bus_, kManagerPath, kManager, "Subscribe", [](sd_bus_message*) { return 0; },
          [](sd_bus_message*) {}) < 0) {
    return;
  }
  following_jobs_ = true;
}

int UnitJobs::on_job_signal(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  auto* self = static_cast<UnitJobs*>(userdata);
  const char* unit = nullptr;
  const char* result = nullptr;
  if (sd_bus_message_read(m, "uoss", nullptr, nullptr, &unit, &result) < 0) return 0;
  for (const JobRemoved& removed : self->job_removed_) removed(unit, result);
  return 0;
}

Status UnitJobs::call(const char* method, const std::string& unit, const char* mode,
                      UnitJobDone done) {
  const std::string what = std::string(method) + "(" + unit + ")";
  if (auto connected = connect(); !connected) {
    return Error{connected.error().errno_value, what + ": " + connected.error().message};
  }
  auto pending = std::make_unique<PendingJob>(PendingJob{what, std::move(done)});
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_call_method_async(bus_, &slot, kSystemd, kManagerPath, kManager, method, on_reply,
                                   pending.get(), "ss", unit.c_str(), mode);
  if (r < 0) return Error{-r, what + ": " + errno_text(r)};
  // The request lives as long as the call's slot, which the bus owns from here on.
  sd_bus_slot_set_destroy_callback(slot, free_request);
  (void)pending.release();
  sd_bus_slot_set_floating(slot, 1);
  sd_bus_slot_unref(slot);
  return ok_status();
}

int UnitJobs::on_reply(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  const auto* pending = static_cast<const PendingJob*>(userdata);
  UnitJobResult result;
  const char* job = nullptr;
  if (const sd_bus_error* e = sd_bus_message_get_error(m); e != nullptr) {
    result.detail = pending->call + " refused: " + (e->message ? e->message : e->name);
  } else if (sd_bus_message_read(m, "o", &job) < 0) {
    result.detail = pending->call + ": unreadable reply";
  } else {
    result.accepted = true;
    result.detail = pending->call + ": job " + job;
  }
  if (pending->done) pending->done(result);
  return 0;
}

void UnitJobs::free_request(void* userdata) {
  delete static_cast<PendingJob*>(userdata);
}

Status UnitJobs::control_group(const std::string& unit, ControlGroupDone done) {
  const auto interface = control_group_interface(unit);
  if (!interface) return Error{EINVAL, unit + " is not of a unit type with a cgroup"};
  if (auto connected = connect(); !connected) return connected;
  auto finish = std::make_shared<ControlGroupDone>(std::move(done));
  const auto get = [this, unit, finish,
                    interface = std::string(*interface)](Expected<std::string> path) {
    if (!path) return (*finish)(path.error());
    const int r = bus_call(
        bus_, path->c_str(), kProperties, "Get",
        [interface](sd_bus_message* call) {
          return sd_bus_message_append(call, "ss", interface.c_str(), "ControlGroup");
        },
        [unit, finish](sd_bus_message* answer) {
          const char* value = nullptr;
          if (sd_bus_message_is_method_error(answer, nullptr) != 0 ||
              sd_bus_message_read(answer, "v", "s", &value) < 0) {
            return (*finish)(Error{EIO, unit + " ControlGroup: " + error_text(answer)});
          }
          auto checked = checked_control_group(value);
          if (!checked) return (*finish)(Error{EINVAL, unit + ": " + checked.error().message});
          (*finish)(std::move(*checked));
        });
    if (r < 0) (*finish)(Error{-r, unit + " ControlGroup: " + errno_text(r)});
  };
  const int r = load_unit(bus_, unit, get);
  if (r < 0) return Error{-r, "LoadUnit(" + unit + "): " + errno_text(r)};
  return ok_status();
}

}  // namespace lifeline
