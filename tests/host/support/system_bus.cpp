#include "support/system_bus.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "support/process.hpp"

namespace lifeline::test {

SystemBusAddress::SystemBusAddress(const std::string& address) {
  if (const char* old = std::getenv("DBUS_SYSTEM_BUS_ADDRESS")) saved_ = old;
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address.c_str(), 1);
}

SystemBusAddress::~SystemBusAddress() {
  if (saved_) {
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", saved_->c_str(), 1);
  } else {
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  }
}

bool run_loop_until(sd_event* event, const std::function<bool()>& done,
                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (sd_event_run(event, 20'000) < 0) return false;
  }
  return true;
}

DBusDaemon::DBusDaemon(const std::string& dir)
    : socket_(dir + "/system_bus_socket"), config_(dir + "/bus.conf"), log_(dir + "/bus.log") {
  write_file(config_, R"(<busconfig>
  <type>session</type>
  <listen>unix:path=)" + socket_ +
                          R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/> <allow receive_sender="*"/> <allow own="*"/>
  </policy>
</busconfig>
)");
}

bool DBusDaemon::start() {
  ::unlink(socket_.c_str());  // left behind by a SIGKILLed predecessor
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  const std::vector<std::string> args = {
      "/usr/bin/dbus-daemon", "--config-file=" + config_, "--nofork", "--nopidfile",
      "--nosyslog",           "--print-address"};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::close(log);
  std::string printed;
  pollfd reader{fds[0], POLLIN, 0};
  char buffer[512];
  while (pid_ > 0 && printed.find('\n') == std::string::npos && ::poll(&reader, 1, 5000) > 0) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    printed.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  return printed.find(socket_) != std::string::npos;
}

void DBusDaemon::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string DBusDaemon::log() const {
  return read_file(log_);
}

namespace {

// systemd's object path for a unit, escaped by sd-bus itself (not by lifeline's code, so
// a watcher that escapes differently would notice).
std::string escaped_unit_path(const std::string& unit) {
  char* path = nullptr;
  if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &path) < 0) return "";
  std::string result(path);
  std::free(path);  // NOLINT(cppcoreguidelines-no-malloc): sd-bus allocated it
  return result;
}

constexpr auto kChange = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;

}  // namespace

FakeSystemd::FakeSystemd(const std::string& address, std::string unit_name, FakeUnit unit,
                         std::string path)
    : unit_name_(std::move(unit_name)),
      unit_(std::move(unit)),
      path_(path.empty() ? escaped_unit_path(unit_name_) : std::move(path)) {
  static const sd_bus_vtable manager[] = {SD_BUS_VTABLE_START(0),
                                          SD_BUS_METHOD("Subscribe", "", "", on_subscribe, 0),
                                          SD_BUS_METHOD("LoadUnit", "s", "o", on_load_unit, 0),
                                          SD_BUS_METHOD("StopUnit", "ss", "o", on_stop_unit, 0),
                                          SD_BUS_METHOD("StartUnit", "ss", "o", on_job, 0),
                                          SD_BUS_METHOD("RestartUnit", "ss", "o", on_job, 0),
                                          SD_BUS_VTABLE_END};
  static const sd_bus_vtable unit_interface[] = {
      SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("ActiveState", "s", get, 0, kChange),
      SD_BUS_PROPERTY("SubState", "s", get, 0, kChange), SD_BUS_VTABLE_END};
  static const sd_bus_vtable service_interface[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_PROPERTY("MainPID", "u", get, 0, kChange),
      SD_BUS_PROPERTY("Result", "s", get, 0, kChange),
      SD_BUS_PROPERTY("ExecMainCode", "i", get, 0, kChange),
      SD_BUS_PROPERTY("ExecMainStatus", "i", get, 0, kChange),
      SD_BUS_PROPERTY("NRestarts", "u", get, 0, kChange),
      SD_BUS_VTABLE_END};
  ok_ = !path_.empty() && sd_bus_new(&bus_) >= 0 &&
        sd_bus_set_address(bus_, address.c_str()) >= 0 && sd_bus_set_bus_client(bus_, 1) >= 0 &&
        sd_bus_start(bus_) >= 0 &&
        sd_bus_add_object_vtable(bus_, nullptr, "/org/freedesktop/systemd1",
                                 "org.freedesktop.systemd1.Manager", manager, this) >= 0 &&
        sd_bus_add_object_vtable(bus_, nullptr, path_.c_str(), "org.freedesktop.systemd1.Unit",
                                 unit_interface, this) >= 0 &&
        sd_bus_add_object_vtable(bus_, nullptr, path_.c_str(), "org.freedesktop.systemd1.Service",
                                 service_interface, this) >= 0 &&
        sd_bus_request_name(bus_, "org.freedesktop.systemd1", 0) >= 0;
  if (ok_) thread_ = std::thread([this] { run(); });
}

FakeSystemd::~FakeSystemd() {
  quit_ = true;
  if (thread_.joinable()) thread_.join();
  sd_bus_close_unref(bus_);
}

std::vector<std::pair<std::string, std::string>> FakeSystemd::stop_calls() const {
  std::lock_guard lock(mutex_);
  return stop_calls_;
}

void FakeSystemd::change(std::function<void(FakeUnit&)> edit) {
  post([this, edit = std::move(edit)] {
    edit(unit_);
    sd_bus_emit_properties_changed_strv(bus_, path_.c_str(), "org.freedesktop.systemd1.Service",
                                        nullptr);
    sd_bus_emit_properties_changed_strv(bus_, path_.c_str(), "org.freedesktop.systemd1.Unit",
                                        nullptr);
  });
}

void FakeSystemd::invalidate_main_pid(std::uint32_t pid) {
  post([this, pid] {
    unit_.main_pid = pid;
    sd_bus_message* signal = nullptr;
    char main_pid[] = "MainPID";
    char* names[] = {main_pid, nullptr};
    if (sd_bus_message_new_signal(bus_, &signal, path_.c_str(), "org.freedesktop.DBus.Properties",
                                  "PropertiesChanged") >= 0 &&
        sd_bus_message_append(signal, "s", "org.freedesktop.systemd1.Service") >= 0 &&
        sd_bus_message_append(signal, "a{sv}", 0) >= 0 &&
        sd_bus_message_append_strv(signal, names) >= 0) {
      sd_bus_send(bus_, signal, nullptr);
    }
    sd_bus_message_unref(signal);
  });
}

void FakeSystemd::post(std::function<void()> command) {
  std::lock_guard lock(mutex_);
  commands_.push_back(std::move(command));
}

void serve_bus(sd_bus* bus, const std::atomic<bool>& quit, std::mutex& mutex,
               std::vector<std::function<void()>>& commands, std::uint64_t wait_us) {
  while (!quit) {
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(mutex);
      due.swap(commands);
    }
    for (auto& command : due) command();
    int r = 0;
    while ((r = sd_bus_process(bus, nullptr)) > 0) {
    }
    if (r < 0) return;  // the daemon is gone
    sd_bus_wait(bus, wait_us);
  }
}

void FakeSystemd::run() {
  serve_bus(bus_, quit_, mutex_, commands_, 10'000);
}

int FakeSystemd::on_subscribe(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  static_cast<FakeSystemd*>(userdata)->subscribes_ += 1;
  return sd_bus_reply_method_return(m, nullptr);
}

int FakeSystemd::on_load_unit(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  const auto* self = static_cast<FakeSystemd*>(userdata);
  const char* name = nullptr;
  if (int r = sd_bus_message_read(m, "s", &name); r < 0) return r;
  if (name != self->unit_name_) {
    return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.",
                             name);
  }
  return sd_bus_reply_method_return(m, "o", self->path_.c_str());
}

int FakeSystemd::on_stop_unit(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  auto* self = static_cast<FakeSystemd*>(userdata);
  const char* name = nullptr;
  const char* mode = nullptr;
  if (int r = sd_bus_message_read(m, "ss", &name, &mode); r < 0) return r;
  {
    std::lock_guard lock(self->mutex_);
    self->stop_calls_.emplace_back(name, mode);
  }
  return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/77");
}

int FakeSystemd::on_job(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  auto* self = static_cast<FakeSystemd*>(userdata);
  const char* name = nullptr;
  const char* mode = nullptr;
  if (int r = sd_bus_message_read(m, "ss", &name, &mode); r < 0) return r;
  {
    std::lock_guard lock(self->mutex_);
    self->job_calls_.push_back(std::string(sd_bus_message_get_member(m)) + " " + name + " " + mode);
  }
  return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/78");
}

std::vector<std::string> FakeSystemd::job_calls() const {
  std::lock_guard lock(mutex_);
  return job_calls_;
}

int FakeSystemd::get(sd_bus* /*bus*/, const char* /*path*/, const char* /*interface*/,
                     const char* property, sd_bus_message* reply, void* userdata,
                     sd_bus_error* /*error*/) {
  const FakeUnit& u = static_cast<FakeSystemd*>(userdata)->unit_;
  const std::string_view name(property);
  if (name == "ActiveState") return sd_bus_message_append(reply, "s", u.active_state.c_str());
  if (name == "SubState") return sd_bus_message_append(reply, "s", u.sub_state.c_str());
  if (name == "Result") return sd_bus_message_append(reply, "s", u.result.c_str());
  if (name == "MainPID") return sd_bus_message_append(reply, "u", u.main_pid);
  if (name == "ExecMainCode") return sd_bus_message_append(reply, "i", u.exec_main_code);
  if (name == "ExecMainStatus") return sd_bus_message_append(reply, "i", u.exec_main_status);
  return sd_bus_message_append(reply, "u", u.n_restarts);
}

}  // namespace lifeline::test
