#include "support/fake_unit_manager.hpp"
#include "support/system_bus.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <future>
#include <string_view>

namespace lifeline::test {

namespace {

constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr const char* kUnitPrefix = "/org/freedesktop/systemd1/unit";

int no_such_unit(sd_bus_error* error, const char* name) {
  return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.",
                           name);
}

}  // namespace

FakeUnitManager::FakeUnitManager(const std::string& address) {
  static const sd_bus_vtable manager[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD("Subscribe", "", "", on_method, 0),
      SD_BUS_METHOD("ListUnits", "", "a(ssssssouso)", on_method, 0),
      SD_BUS_METHOD("ListUnitFiles", "", "a(ss)", on_method, 0),
      SD_BUS_METHOD("LoadUnit", "s", "o", on_method, 0),
      SD_BUS_METHOD("StopUnit", "ss", "o", on_method, 0),
      SD_BUS_METHOD("MaskUnitFiles", "asbb", "a(sss)", on_method, 0),
      SD_BUS_METHOD("UnmaskUnitFiles", "asb", "a(sss)", on_method, 0),
      SD_BUS_METHOD("Reload", "", "", on_method, 0),
      SD_BUS_METHOD("GetUnitFileState", "s", "s", on_method, 0),
      SD_BUS_SIGNAL("UnitNew", "so", 0),
      SD_BUS_SIGNAL("UnitFilesChanged", "", 0),
      SD_BUS_SIGNAL("Reloading", "b", 0),
      SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
      SD_BUS_VTABLE_END};
  static const sd_bus_vtable unit[] = {SD_BUS_VTABLE_START(0),
                                       SD_BUS_PROPERTY("ActiveState", "s", get, 0, 0),
                                       SD_BUS_PROPERTY("UnitFileState", "s", get, 0, 0),
                                       SD_BUS_PROPERTY("UnitFilePreset", "s", get, 0, 0),
                                       SD_BUS_PROPERTY("FragmentPath", "s", get, 0, 0),
                                       SD_BUS_VTABLE_END};
  static const sd_bus_vtable service[] = {
      SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("MainPID", "u", get, 0, 0),
      SD_BUS_PROPERTY("ControlGroup", "s", get, 0, 0),
      SD_BUS_PROPERTY("ExecStart", "a(sasbttttuii)", get, 0, 0), SD_BUS_VTABLE_END};
  ok_ = sd_bus_new(&bus_) >= 0 && sd_bus_set_address(bus_, address.c_str()) >= 0 &&
        sd_bus_set_bus_client(bus_, 1) >= 0 && sd_bus_start(bus_) >= 0 &&
        sd_bus_add_object_vtable(bus_, nullptr, kManagerPath, kManager, manager, this) >= 0 &&
        sd_bus_add_fallback_vtable(bus_, nullptr, kUnitPrefix, "org.freedesktop.systemd1.Unit",
                                   unit, find_unit, this) >= 0 &&
        sd_bus_add_fallback_vtable(bus_, nullptr, kUnitPrefix, "org.freedesktop.systemd1.Service",
                                   service, find_unit, this) >= 0 &&
        sd_bus_request_name(bus_, "org.freedesktop.systemd1", 0) >= 0;
  if (ok_) thread_ = std::thread([this] { run(); });
}

FakeUnitManager::~FakeUnitManager() {
  quit_ = true;
  if (thread_.joinable()) thread_.join();
  sd_bus_close_unref(bus_);
}

std::string FakeUnitManager::path_of(const std::string& name) {
  char* path = nullptr;
  if (sd_bus_path_encode(kUnitPrefix, name.c_str(), &path) < 0) return "";
  std::string out(path);
  std::free(path);  // NOLINT(cppcoreguidelines-no-malloc): sd-bus allocated it
  return out;
}

FakeService* FakeUnitManager::by_name(const std::string& name) {
  const auto found = units_.find(name);
  return found == units_.end() ? nullptr : &found->second;
}

FakeService* FakeUnitManager::by_path(const char* path) {
  char* name = nullptr;
  if (sd_bus_path_decode(path, kUnitPrefix, &name) <= 0) return nullptr;
  FakeService* found = by_name(name);
  std::free(name);  // NOLINT(cppcoreguidelines-no-malloc)
  return found;
}

void FakeUnitManager::add(FakeService service) {
  std::lock_guard lock(mutex_);
  units_[service.name] = std::move(service);
}

std::chrono::steady_clock::time_point FakeUnitManager::add_and_announce(FakeService service,
                                                                        bool files_changed) {
  auto sent = std::make_shared<std::promise<std::chrono::steady_clock::time_point>>();
  auto when = sent->get_future();
  post([this, service = std::move(service), sent, files_changed]() mutable {
    const std::string name = service.name;
    const bool loaded = service.loaded;
    add(std::move(service));
    const auto at = std::chrono::steady_clock::now();
    if (loaded) {
      sd_bus_emit_signal(bus_, kManagerPath, kManager, "UnitNew", "so", name.c_str(),
                         path_of(name).c_str());
    }
    if (files_changed) {
      sd_bus_emit_signal(bus_, kManagerPath, kManager, "UnitFilesChanged", "");
    } else {
      const std::uint32_t job = next_job_++;
      const std::string job_path = "/org/freedesktop/systemd1/job/" + std::to_string(job);
      sd_bus_emit_signal(bus_, kManagerPath, kManager, "JobRemoved", "uoss", job, job_path.c_str(),
                         name.c_str(), "done");
    }
    sent->set_value(at);
  });
  return when.get();
}

void FakeUnitManager::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  units_.erase(name);
}

void FakeUnitManager::set_unit_dir(std::string dir) {
  std::lock_guard lock(mutex_);
  unit_dir_ = std::move(dir);
}

std::string FakeUnitManager::file_of(const std::string& name) const {
  return (unit_dir_.empty() ? std::string("/etc/systemd/system") : unit_dir_) + "/" + name;
}

int FakeUnitManager::change_file(const std::string& name, bool mask, sd_bus_error* error) const {
  if (unit_dir_.empty()) return 0;
  const std::string path = file_of(name);
  struct stat st {};
  const bool exists = ::lstat(path.c_str(), &st) == 0;
  char target[32] = {};
  const bool masked = exists && S_ISLNK(st.st_mode) &&
                      ::readlink(path.c_str(), target, sizeof target - 1) > 0 &&
                      std::string_view(target) == "/dev/null";
  if (!mask) {
    if (masked && ::unlink(path.c_str()) != 0) {
      return sd_bus_error_set_errnof(error, errno, "Cannot remove %s", path.c_str());
    }
    return 0;
  }
  // systemd 252 (install.c, create_symlink; dbus-manager.c turns its -EEXIST into
  // UnitExists): only a symlink is replaced, even with force=true.
  if (exists && !S_ISLNK(st.st_mode)) {
    return sd_bus_error_setf(error, "org.freedesktop.systemd1.UnitExists",
                             "File %s already exists.", path.c_str());
  }
  if ((exists && ::unlink(path.c_str()) != 0) || ::symlink("/dev/null", path.c_str()) != 0) {
    return sd_bus_error_set_errnof(error, errno, "Cannot create %s", path.c_str());
  }
  return 0;
}

std::vector<ManagerCall> FakeUnitManager::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> FakeUnitManager::calls_starting(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const ManagerCall& call : calls()) {
    if (call.text.starts_with(prefix)) out.push_back(call.text);
  }
  return out;
}

std::string FakeUnitManager::unit_file_state(const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto found = units_.find(name);
  return found == units_.end() ? "" : found->second.unit_file_state;
}

void FakeUnitManager::log_call(std::string text) {
  std::lock_guard lock(mutex_);
  calls_.push_back(ManagerCall{std::move(text), std::chrono::steady_clock::now()});
}

void FakeUnitManager::post(std::function<void()> command) {
  std::lock_guard lock(mutex_);
  commands_.push_back(std::move(command));
}

void FakeUnitManager::run() {
  serve_bus(bus_, quit_, mutex_, commands_, 5'000);
}

int FakeUnitManager::find_unit(sd_bus* /*bus*/, const char* path, const char* /*interface*/,
                               void* userdata, void** found, sd_bus_error* /*error*/) {
  auto* self = static_cast<FakeUnitManager*>(userdata);
  std::lock_guard lock(self->mutex_);
  FakeService* unit = self->by_path(path);
  if (unit == nullptr) return 0;
  *found = self;  // properties look the unit up again by path, under the lock
  return 1;
}

int FakeUnitManager::get(sd_bus* /*bus*/, const char* path, const char* /*interface*/,
                         const char* property, sd_bus_message* reply, void* userdata,
                         sd_bus_error* error) {
  auto* self = static_cast<FakeUnitManager*>(userdata);
  self->property_reads_ += 1;
  std::lock_guard lock(self->mutex_);
  const FakeService* u = self->by_path(path);
  if (u == nullptr) return no_such_unit(error, path);
  const std::string_view name(property);
  if (name == "ActiveState") return sd_bus_message_append(reply, "s", u->active_state.c_str());
  if (name == "UnitFileState") return sd_bus_message_append(reply, "s", u->unit_file_state.c_str());
  if (name == "UnitFilePreset") {
    return sd_bus_message_append(reply, "s", u->unit_file_preset.c_str());
  }
  if (name == "FragmentPath") {
    return sd_bus_message_append(reply, "s", self->file_of(u->name).c_str());
  }
  if (name == "MainPID") return sd_bus_message_append(reply, "u", u->main_pid);
  if (name == "ControlGroup") {
    const std::string cgroup =
        u->control_group.empty() ? "/system.slice/" + u->name : u->control_group;
    return sd_bus_message_append(reply, "s", u->active_state == "active" ? cgroup.c_str() : "");
  }
  int r = sd_bus_message_open_container(reply, 'a', "(sasbttttuii)");
  if (r < 0 || u->exec_path.empty()) return r < 0 ? r : sd_bus_message_close_container(reply);
  if ((r = sd_bus_message_open_container(reply, 'r', "sasbttttuii")) < 0) return r;
  if ((r = sd_bus_message_append(reply, "s", u->exec_path.c_str())) < 0) return r;
  if ((r = sd_bus_message_open_container(reply, 'a', "s")) < 0) return r;
  for (const std::string& arg : u->exec_argv) {
    if ((r = sd_bus_message_append(reply, "s", arg.c_str())) < 0) return r;
  }
  if ((r = sd_bus_message_close_container(reply)) < 0) return r;
  if ((r = sd_bus_message_append(reply, "bttttuii", 0, 0ULL, 0ULL, 0ULL, 0ULL, u->main_pid, 0, 0)) <
      0) {
    return r;
  }
  if ((r = sd_bus_message_close_container(reply)) < 0) return r;
  return sd_bus_message_close_container(reply);
}

int FakeUnitManager::on_method(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  auto* self = static_cast<FakeUnitManager*>(userdata);
  const std::string_view member = sd_bus_message_get_member(m);
  if (member == "Subscribe") {
    self->subscribes_ += 1;
    return sd_bus_reply_method_return(m, nullptr);
  }
  if (member == "ListUnits" || member == "ListUnitFiles") {
    const bool files = member == "ListUnitFiles";
    sd_bus_message* reply = nullptr;
    int r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0) r = sd_bus_message_open_container(reply, 'a', files ? "(ss)" : "(ssssssouso)");
    {
      std::lock_guard lock(self->mutex_);
      for (const auto& [name, u] : self->units_) {
        if (r < 0) break;
        if (files) {
          r = sd_bus_message_append(reply, "(ss)", self->file_of(name).c_str(),
                                    u.unit_file_state.c_str());
        } else if (u.loaded) {
          r = sd_bus_message_append(reply, "(ssssssouso)", name.c_str(), "", "loaded",
                                    u.active_state.c_str(), "", "", path_of(name).c_str(), 0U, "",
                                    "/");
        }
      }
    }
    if (r >= 0) r = sd_bus_message_close_container(reply);
    if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
  }
  if (member == "Reload") {
    self->log_call("Reload");
    int r = sd_bus_reply_method_return(m, nullptr);
    sd_bus_emit_signal(self->bus_, kManagerPath, kManager, "Reloading", "b", 1);
    sd_bus_emit_signal(self->bus_, kManagerPath, kManager, "Reloading", "b", 0);
    return r;
  }
  if (member == "MaskUnitFiles" || member == "UnmaskUnitFiles") {
    const bool mask = member == "MaskUnitFiles";
    char** files = nullptr;
    int runtime = 0;
    int force = 0;
    int r = sd_bus_message_read_strv(m, &files);
    if (r >= 0)
      r = mask ? sd_bus_message_read(m, "bb", &runtime, &force)
               : sd_bus_message_read(m, "b", &runtime);
    if (r < 0) return r;
    std::string text(member);
    std::vector<std::string> names;
    for (char** f = files; f != nullptr && *f != nullptr; ++f) {
      names.emplace_back(*f);
      text += " " + names.back();
      std::free(*f);  // NOLINT(cppcoreguidelines-no-malloc)
    }
    std::free(files);  // NOLINT(cppcoreguidelines-no-malloc)
    text += std::string(" runtime=") + (runtime != 0 ? "true" : "false");
    if (mask) text += std::string(" force=") + (force != 0 ? "true" : "false");
    self->log_call(text);
    std::vector<std::string> changed;  // the paths, for the reply's changes
    {
      std::lock_guard lock(self->mutex_);
      for (const std::string& name : names) {
        FakeService* u = self->by_name(name);
        if (u == nullptr) continue;
        if (int failed = self->change_file(name, mask, error); failed < 0) return failed;
        changed.push_back(self->file_of(name));
        if (mask) {
          self->unmasked_state_[name] = u->unit_file_state;
          u->unit_file_state = "masked";
        } else if (u->unit_file_state == "masked") {
          const auto before = self->unmasked_state_.find(name);
          u->unit_file_state = before == self->unmasked_state_.end() ? "disabled" : before->second;
        }
      }
    }
    sd_bus_message* reply = nullptr;
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(sss)");
    for (const std::string& file : changed) {
      if (r < 0) break;
      r = sd_bus_message_append(reply, "(sss)", mask ? "symlink" : "unlink", file.c_str(),
                                mask ? "/dev/null" : "");
    }
    if (r >= 0) r = sd_bus_message_close_container(reply);
    if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    sd_bus_emit_signal(self->bus_, kManagerPath, kManager, "UnitFilesChanged", "");
    return r;
  }
  const char* name = nullptr;
  if (int r = sd_bus_message_read(m, "s", &name); r < 0) return r;
  if (member == "StopUnit") {
    const char* mode = nullptr;
    if (int r = sd_bus_message_read(m, "s", &mode); r < 0) return r;
    self->log_call(std::string("StopUnit ") + name + " " + mode);
    std::uint32_t job = 0;
    {
      std::lock_guard lock(self->mutex_);
      if (FakeService* u = self->by_name(name)) {
        u->active_state = "inactive";
        u->main_pid = 0;
      }
      job = self->next_job_++;
    }
    const std::string job_path = "/org/freedesktop/systemd1/job/" + std::to_string(job);
    int r = sd_bus_reply_method_return(m, "o", job_path.c_str());
    sd_bus_emit_signal(self->bus_, kManagerPath, kManager, "JobRemoved", "uoss", job,
                       job_path.c_str(), name, "done");
    return r;
  }
  std::string state;
  {
    std::lock_guard lock(self->mutex_);
    FakeService* u = self->by_name(name);
    if (u == nullptr) return no_such_unit(error, name);
    if (member == "LoadUnit") u->loaded = true;
    state = u->unit_file_state;
  }
  if (member == "GetUnitFileState") {
    self->log_call(std::string("GetUnitFileState ") + name);
    return sd_bus_reply_method_return(m, "s", state.c_str());
  }
  return sd_bus_reply_method_return(m, "o", path_of(name).c_str());  // LoadUnit
}

}  // namespace lifeline::test
