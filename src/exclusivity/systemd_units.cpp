#include "exclusivity/systemd_units.hpp"

#include <map>
#include <set>

#include "agent/bus_call.hpp"
#include "agent/event_loop.hpp"
#include "exclusivity/unit_properties.hpp"
#include "motion/unit_watcher_wire.hpp"

namespace lifeline::exclusivity {

namespace {

using motion::unit_wire::errno_text;
using motion::unit_wire::error_text;
using motion::unit_wire::kManager;
using motion::unit_wire::kManagerPath;
using motion::unit_wire::kOwnerMatch;
using motion::unit_wire::kProperties;
using motion::unit_wire::kServiceInterface;
using motion::unit_wire::kSystemd;
using motion::unit_wire::kUnitInterface;

// The system bus allows a connection 128 outstanding calls by default
// (max_replies_per_connection): the survey keeps well below.
constexpr std::size_t kUnitsInFlight = 16;

// The shared asynchronous call (agent/bus_call.hpp).
int call(sd_bus* bus, const char* path, const char* interface, const char* member,
         const BusAppend& append, BusReply reply) {
  return bus_call(bus, path, interface, member, append, std::move(reply));
}

int no_args(sd_bus_message* /*m*/) {
  return 0;
}

std::string failed(sd_bus_message* m, const std::string& what) {
  return what + ": " + error_text(m);
}

}  // namespace

struct SystemdUnits::Survey {
  SurveyDone done;
  int lists_answered = 0;
  std::string error;
  std::vector<ListedUnit> units;
  std::vector<ListedUnitFile> files;
  std::vector<UnitFact> facts;  // candidates, in the order read
  std::vector<std::string> paths;
  std::vector<bool> read_ok;
  std::size_t next = 0;
  std::size_t pending = 0;
  std::uint64_t generation = 0;  // the cache's, when the survey began
  bool files_cached = false;     // ListUnitFiles not asked: the cache's list stands
  std::vector<UnitFact> cached;  // candidates no signal changed since they were read
};

SystemdUnits::~SystemdUnits() {
  // Frees every pending call's closure through its slot, without calling it.
  if (bus_ != nullptr) sd_bus_flush_close_unref(bus_);
}

Status SystemdUnits::connect() {
  if (bus_ != nullptr && sd_bus_is_open(bus_) > 0) return ok_status();
  if (bus_ != nullptr) bus_ = sd_bus_flush_close_unref(bus_);
  matched_ = false;  // went with the old connection
  subscribed_ = false;
  cache_.forget_all();  // no signal was seen while there was no connection
  sd_bus* bus = nullptr;
  int r = sd_bus_open_system_with_description(&bus, "lifeline-exclusivity");
  if (r < 0) return Error{-r, "cannot connect to the system bus: " + errno_text(r)};
  if ((r = sd_bus_set_exit_on_disconnect(bus, 0)) < 0 ||
      (r = sd_bus_set_close_on_exit(bus, 0)) < 0 ||
      (r = sd_bus_attach_event(bus, loop_.raw(), 0)) < 0) {
    sd_bus_flush_close_unref(bus);
    return Error{-r, "cannot use the system bus: " + errno_text(r)};
  }
  bus_ = bus;
  return ok_status();
}

Status SystemdUnits::watch(Changed changed, Subscribed subscribed) {
  changed_ = std::move(changed);
  if (auto connected = connect(); !connected) return connected;
  if (subscribed_) return ok_status();
  if (!matched_) {
    if (auto added = add_matches(); !added) return added;
    matched_ = true;
  }
  // Without Subscribe systemd sends no unit signals.
  const int r = call(bus_, kManagerPath, kManager, "Subscribe", no_args,
                     [this, subscribed = std::move(subscribed)](sd_bus_message* m) {
                       const sd_bus_error* e = sd_bus_message_get_error(m);
                       subscribed_ =
                           e == nullptr ||
                           sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed");
                       if (subscribed) subscribed(subscribed_ ? "" : failed(m, "Subscribe"));
                     });
  if (r < 0) return Error{-r, "Subscribe: " + errno_text(r)};
  return ok_status();
}

// The Manager's unit signals; systemd taking its name again; the connection's end (sd-bus
// delivers a local Disconnected signal, since exit_on_disconnect is off). Each slot is
// floating: it lives and dies with the connection.
Status SystemdUnits::add_matches() {
  const auto on_signal = [](sd_bus_message* m, void* userdata, sd_bus_error* /*e*/) -> int {
    auto* self = static_cast<SystemdUnits*>(userdata);
    const std::string_view member = sd_bus_message_get_member(m);
    const char* unit = nullptr;
    if (member == "Reloading") {
      int starting = 0;
      if (sd_bus_message_read(m, "b", &starting) < 0 || starting != 0) return 0;
      self->cache_.forget_all();
    } else if (member == "UnitFilesChanged") {
      self->cache_.forget_all();
    } else if (member == "JobRemoved") {
      if (sd_bus_message_read(m, "uoss", nullptr, nullptr, &unit, nullptr) < 0) {
        self->cache_.forget_all();
      }
    } else {
      return 0;
    }
    if (unit != nullptr) self->cache_.unit_changed(unit);
    if (self->changed_) self->changed_(member);
    return 0;
  };
  const auto on_lost = [](sd_bus_message* /*m*/, void* userdata, sd_bus_error* /*e*/) -> int {
    auto* self = static_cast<SystemdUnits*>(userdata);
    self->subscribed_ = false;
    self->cache_.forget_all();
    if (self->changed_) self->changed_(kLost);
    return 0;
  };
  const auto keep = [](sd_bus_slot* slot) {
    sd_bus_slot_set_floating(slot, 1);
    sd_bus_slot_unref(slot);
  };
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_match_signal_async(bus_, &slot, kSystemd, kManagerPath, kManager, nullptr,
                                    on_signal, nullptr, this);
  if (r < 0) return Error{-r, "match on systemd's Manager signals: " + errno_text(r)};
  keep(slot);
  if ((r = sd_bus_add_match_async(bus_, &slot, kOwnerMatch, on_lost, nullptr, this)) < 0) {
    return Error{-r, "match on systemd's bus name: " + errno_text(r)};
  }
  keep(slot);
  if ((r = sd_bus_match_signal(bus_, &slot, "org.freedesktop.DBus.Local",
                               "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                               "Disconnected", on_lost, this)) < 0) {
    return Error{-r, "match on the bus connection's end: " + errno_text(r)};
  }
  keep(slot);
  return ok_status();
}

Status SystemdUnits::survey(SurveyDone done) {
  if (auto connected = connect(); !connected) return connected;
  auto survey = std::make_shared<Survey>();
  survey->done = std::move(done);
  survey->generation = cache_.generation();
  if (cache_.files_known()) {
    survey->files = cache_.files();
    survey->files_cached = true;
    survey->lists_answered = 1;
  }
  const auto listed = [this, survey](sd_bus_message* m, bool files) {
    if (sd_bus_message_is_method_error(m, nullptr) != 0) {
      survey->error = failed(m, files ? "ListUnitFiles" : "ListUnits");
    } else if (int r = files ? read_list_unit_files(m, survey->files)
                             : read_list_units(m, survey->units);
               r < 0) {
      survey->error = std::string(files ? "ListUnitFiles" : "ListUnits") +
                      ": unreadable reply: " + errno_text(r);
    }
    if (++survey->lists_answered == 2) units_listed(survey);
  };
  int r = call(bus_, kManagerPath, kManager, "ListUnits", no_args,
               [listed](sd_bus_message* m) { listed(m, false); });
  if (r >= 0 && !survey->files_cached) {
    r = call(bus_, kManagerPath, kManager, "ListUnitFiles", no_args,
             [listed](sd_bus_message* m) { listed(m, true); });
  }
  if (r < 0) return Error{-r, "ListUnits/ListUnitFiles: " + errno_text(r)};
  return ok_status();
}

void SystemdUnits::units_listed(const std::shared_ptr<Survey>& survey) {
  if (!survey->error.empty()) {
    survey->done(Error{EIO, survey->error});
    return;
  }
  if (!survey->files_cached) cache_.store_files(survey->files, survey->generation);
  std::map<std::string, std::string> candidates;  // name -> object path ("" = LoadUnit)
  std::map<std::string, std::string> active;      // ListUnits' ActiveState, always fresh
  for (const ListedUnit& u : survey->units) {
    if (u.load_state != "loaded") continue;
    candidates[u.name] = u.path;
    active[u.name] = u.active_state;
  }
  for (const ListedUnitFile& f : survey->files) {
    if (may_start_at_boot(f.state)) candidates.emplace(f.name, "");
  }
  std::set<std::string> names;
  for (const auto& [name, path] : candidates) {
    names.insert(name);
    if (const UnitFact* known = cache_.fresh(name); known != nullptr) {
      survey->cached.push_back(*known);
      const auto state = active.find(name);
      survey->cached.back().active_state = state == active.end() ? "inactive" : state->second;
      continue;
    }
    cache_.take(name);
    UnitFact fact;
    fact.name = name;
    survey->facts.push_back(std::move(fact));
    survey->paths.push_back(path);
  }
  cache_.keep_only(names);
  last_read_ = survey->facts.size();
  survey->read_ok.assign(survey->facts.size(), false);
  if (survey->facts.empty()) {
    survey->done(std::move(survey->cached));
    return;
  }
  while (survey->next < survey->facts.size() && survey->pending < kUnitsInFlight) {
    ++survey->pending;
    read_unit(survey, survey->next++);
  }
}

// [LoadUnit ->] GetAll(Unit) -> GetAll(Service): one unit at a time per chain.
void SystemdUnits::read_unit(const std::shared_ptr<Survey>& survey, std::size_t index) {
  const auto get_all = [this, survey, index](const char* interface, auto then) {
    const std::string path = survey->paths[index];
    const int r = call(
        bus_, path.c_str(), kProperties, "GetAll",
        [interface](sd_bus_message* m) { return sd_bus_message_append(m, "s", interface); },
        [survey, index, then](sd_bus_message* m) {
          const bool ok = sd_bus_message_is_method_error(m, nullptr) == 0 &&
                          read_unit_properties(m, survey->facts[index]) >= 0;
          then(ok);
        });
    if (r < 0) then(false);
  };
  const auto read_properties = [this, survey, index, get_all] {
    get_all(kUnitInterface, [this, survey, index, get_all](bool ok) {
      if (!ok) return finish_one(survey);
      get_all(kServiceInterface, [this, survey, index](bool service_ok) {
        survey->read_ok[index] = service_ok;
        finish_one(survey);
      });
    });
  };
  if (!survey->paths[index].empty()) return read_properties();
  const int r = load_unit(bus_, survey->facts[index].name,
                          [this, survey, index, read_properties](Expected<std::string> path) {
                            if (!path) return finish_one(survey);
                            survey->paths[index] = std::move(*path);
                            read_properties();
                          });
  if (r < 0) finish_one(survey);
}

void SystemdUnits::finish_one(const std::shared_ptr<Survey>& survey) {
  --survey->pending;
  if (survey->next < survey->facts.size()) {
    ++survey->pending;
    read_unit(survey, survey->next++);
    return;
  }
  if (survey->pending > 0) return;
  std::vector<UnitFact> out = std::move(survey->cached);
  for (std::size_t i = 0; i < survey->facts.size(); ++i) {
    if (!survey->read_ok[i]) continue;
    cache_.store(survey->facts[i], survey->generation);
    out.push_back(std::move(survey->facts[i]));
  }
  survey->done(std::move(out));
}

Status SystemdUnits::mask(const std::string& unit, MaskDone done) {
  if (auto connected = connect(); !connected) return connected;
  auto finish = std::make_shared<MaskDone>(std::move(done));
  const auto append_unit = [unit](sd_bus_message* m) {
    return sd_bus_message_append(m, "s", unit.c_str());
  };
  const auto verify = [this, unit, finish, append_unit](sd_bus_message* reloaded) {
    if (sd_bus_message_is_method_error(reloaded, nullptr) != 0) {
      return (*finish)(MaskResult{false, "masked, but " + failed(reloaded, "Reload")});
    }
    const int r = call(bus_, kManagerPath, kManager, "GetUnitFileState", append_unit,
                       [unit, finish](sd_bus_message* m) {
                         const char* state = nullptr;
                         if (sd_bus_message_is_method_error(m, nullptr) != 0 ||
                             sd_bus_message_read(m, "s", &state) < 0) {
                           return (*finish)(MaskResult{false, failed(m, "GetUnitFileState")});
                         }
                         const bool ok = std::string_view(state) == "masked";
                         (*finish)(MaskResult{ok, "MaskUnitFiles(" + unit +
                                                      ", runtime=false, force=true), Reload: "
                                                      "unit file state now " +
                                                      state});
                       });
    if (r < 0) (*finish)(MaskResult{false, "GetUnitFileState: " + errno_text(r)});
  };
  const auto reload = [this, finish, verify](sd_bus_message* m) {
    if (sd_bus_message_is_method_error(m, nullptr) != 0) {
      return (*finish)(MaskResult{false, failed(m, "MaskUnitFiles")});
    }
    // The unit files changed. The agent would also hear UnitFilesChanged, but the one-shot
    // `exclusivity check` follows no signals: its re-check after the mask read the unit
    // as still enabled (seen in vm_duplicates' boot check).
    cache_.forget_all();
    const int r = call(bus_, kManagerPath, kManager, "Reload", no_args, verify);
    if (r < 0) (*finish)(MaskResult{false, "masked, but Reload: " + errno_text(r)});
  };
  const int r = call(
      bus_, kManagerPath, kManager, "MaskUnitFiles",
      [unit](sd_bus_message* m) {
        const char* files[] = {unit.c_str(), nullptr};
        int rr = sd_bus_message_append_strv(m, const_cast<char**>(files));
        return rr < 0 ? rr : sd_bus_message_append(m, "bb", 0, 1);
      },
      reload);
  if (r < 0) return Error{-r, "MaskUnitFiles(" + unit + "): " + errno_text(r)};
  return ok_status();
}

}  // namespace lifeline::exclusivity
