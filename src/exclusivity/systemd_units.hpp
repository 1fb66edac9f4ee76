// The exclusivity check's own connection to systemd's Manager on the system bus:
// - watch(): Subscribe and a match on the Manager's signals (UnitFilesChanged, Reloading,
//   JobRemoved), each reported to the caller, who debounces. Not UnitNew: systemd sends it
//   whenever a unit is loaded, also by the survey's own LoadUnit of a unit file nothing
//   runs (systemd unloads it again soon), so following it made every survey start the
//   next one (found in the VM tier: a survey every 9 s, forever). A started unit still
//   shows up: its start job's JobRemoved;
// - survey(): every service unit systemd has loaded and every service unit file that could
//   start at boot, with ExecStart, FragmentPath, UnitFileState, UnitFilePreset, MainPID and
//   ControlGroup (ListUnits, ListUnitFiles, LoadUnit, GetAll), all asynchronous on the loop;
// - mask(): MaskUnitFiles(runtime=false, force=true), Reload, then GetUnitFileState.
// A call never waits for systemd; answers come back as callbacks on the loop. The bus is
// opened on first use and again after it drops.
#pragma once

#include <systemd/sd-bus.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exclusivity/unit_fact_cache.hpp"
#include "exclusivity/unit_facts.hpp"
#include "lifeline/expected.hpp"

namespace lifeline {
class EventLoop;
}

namespace lifeline::exclusivity {

struct MaskResult {
  bool masked = false;  // GetUnitFileState said "masked" after the reload
  std::string detail;   // what was done, or where it failed
};

class SystemdUnits {
 public:
  using Changed = std::function<void(std::string_view signal)>;
  using SurveyDone = std::function<void(Expected<std::vector<UnitFact>>)>;
  using MaskDone = std::function<void(const MaskResult&)>;
  using Subscribed = std::function<void(const std::string& error)>;  // "" = subscribed

  // What `changed` gets when the subscription may be gone: the connection dropped (dbus
  // restarted), or systemd took its bus name again (daemon-reexec). watching() is false
  // until watch() subscribed again.
  static constexpr std::string_view kLost = "lost";

  explicit SystemdUnits(EventLoop& loop) : loop_(loop) {}
  ~SystemdUnits();
  SystemdUnits(const SystemdUnits&) = delete;
  SystemdUnits& operator=(const SystemdUnits&) = delete;

  // Matches the Manager's signals and subscribes; `changed` gets the signal's name
  // ("UnitFilesChanged", "Reloading", "JobRemoved") for each that may mean a
  // unit came or changed (Reloading only when a reload ended), or kLost; `subscribed`
  // gets systemd's answer to Subscribe. Nothing is sent when already subscribed.
  Status watch(Changed changed, Subscribed subscribed);
  [[nodiscard]] bool watching() const {
    return subscribed_ && bus_ != nullptr && sd_bus_is_open(bus_) > 0;
  }
  // Reads every candidate service unit; `done` runs once, on the loop. Units no signal
  // said changed since they were read come from the cache (unit_fact_cache.hpp).
  Status survey(SurveyDone done);
  // The next survey reads every unit file and unit again (the safety sweep).
  void forget() { cache_.forget_all(); }
  // Of the last survey's units, how many were read from systemd (the rest were cached).
  [[nodiscard]] std::size_t last_read() const { return last_read_; }
  Status mask(const std::string& unit, MaskDone done);

 private:
  struct Survey;
  Status connect();
  Status add_matches();
  void units_listed(const std::shared_ptr<Survey>& survey);
  void read_unit(const std::shared_ptr<Survey>& survey, std::size_t index);
  void finish_one(const std::shared_ptr<Survey>& survey);

  EventLoop& loop_;
  sd_bus* bus_ = nullptr;
  bool matched_ = false;  // the signal matches (floating slots the bus owns) were added
  bool subscribed_ = false;
  Changed changed_;
  UnitFactCache cache_;
  std::size_t last_read_ = 0;
};

}  // namespace lifeline::exclusivity
