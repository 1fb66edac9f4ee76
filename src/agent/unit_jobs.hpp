// Jobs for systemd's Manager over the system bus: start, stop or restart a unit, and
// reboot. Used by the operator actions (restart the app or sshd, reboot) and by the memory
// guard (restart an expendable unit, restart sshd when its banner stops coming).
// Also asks which cgroup a unit runs in, and tells when systemd finishes a job for a unit
// (its JobRemoved signal), for the memory guard's unit watches.
// Asynchronous on the loop: a call never waits for systemd; the answer comes back as a
// callback. The bus is opened on first use and again after it drops.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <systemd/sd-bus.h>

#include "lifeline/expected.hpp"

namespace lifeline {

class EventLoop;

enum class UnitVerb : std::uint8_t { start, stop, restart };
std::string_view unit_verb_method(UnitVerb verb);  // "StartUnit", ...

struct UnitJobResult {
  bool accepted = false;  // systemd queued the job
  std::string detail;     // the job's object path, or why it was refused
};
using UnitJobDone = std::function<void(const UnitJobResult&)>;
// A unit's ControlGroup ("" while it has none: not running), or why it could not be read.
using ControlGroupDone = std::function<void(Expected<std::string>)>;
// A job systemd finished: the unit, and its result ("done", "failed", "canceled", ...).
using JobRemoved = std::function<void(std::string_view unit, std::string_view result)>;

class UnitJobs {
 public:
  explicit UnitJobs(EventLoop& loop) : loop_(loop) {}
  ~UnitJobs();
  UnitJobs(const UnitJobs&) = delete;
  UnitJobs& operator=(const UnitJobs&) = delete;

  // Queues `verb` for `unit` with mode "replace". An Error means the call was not sent;
  // otherwise `done` runs on the loop once systemd answers.
  Status request(UnitVerb verb, const std::string& unit, UnitJobDone done);
  // StartUnit("reboot.target", "replace-irreversibly"): systemd's orderly reboot, so
  // lifeline's own ExecStop (magic close) runs on the way down.
  Status reboot(UnitJobDone done);
  // LoadUnit(unit), then the ControlGroup property of its type's interface (Service, Scope,
  // Slice, Socket, Mount, Swap). An Error means nothing was sent; otherwise `done` runs on
  // the loop once systemd answered both, or refused one.
  Status control_group(const std::string& unit, ControlGroupDone done);
  // Calls `removed` for each job systemd finishes from now on, in the order registered. It
  // follows the Manager's JobRemoved signal (and asks systemd to Subscribe, without which
  // it sends none) on every connection this object opens: now if the bus can be reached,
  // else at the next call that connects. An Error says the bus cannot be reached now.
  Status on_job_removed(JobRemoved removed);

 private:
  Status call(const char* method, const std::string& unit, const char* mode, UnitJobDone done);
  Status connect();
  // Follows JobRemoved on the current connection, once per connection.
  void follow_jobs();
  static int on_job_signal(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int on_reply(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static void free_request(void* userdata);

  EventLoop& loop_;
  sd_bus* bus_ = nullptr;
  std::vector<JobRemoved> job_removed_;
  bool following_jobs_ = false;  // on bus_: the match is in place and Subscribe was sent
};

}  // namespace lifeline
