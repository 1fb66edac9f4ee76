// The unit watcher on a real event loop against a real dbus-daemon that this test starts
// on a socket in a temp dir. systemd is not PID 1 on the build and CI machines, so there
// is no systemd to watch: the test serves a fake systemd itself, on that bus, from a
// second thread with sd-bus (the Manager's Subscribe/LoadUnit/StopUnit and one unit's
// Unit and Service properties, signalled the way systemd signals them). The watcher
// finds the bus through DBUS_SYSTEM_BUS_ADDRESS, exactly as on a robot it would find
// /run/dbus/system_bus_socket, so every message below crosses a real D-Bus connection.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "agent/event_loop.hpp"
#include "motion/unit_watcher.hpp"
#include "support/process.hpp"

namespace lifeline::motion {
namespace {

using namespace std::chrono_literals;
using Kind = UnitWatchEvent::Kind;

constexpr const char* kUnit = "avatar-tank.service";

// A private bus daemon: its own config (no service activation, so nothing is ever
// spawned for a missing name; the distro's session config would try to start systemd).
class DBusDaemon {
 public:
  explicit DBusDaemon(const std::string& dir)
      : socket_(dir + "/system_bus_socket"), config_(dir + "/bus.conf"), log_(dir + "/bus.log") {
    test::write_file(config_, R"(<busconfig>
  <type>session</type>
  <listen>unix:path=)" + socket_ + R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/> <allow receive_sender="*"/> <allow own="*"/>
  </policy>
</busconfig>
)");
  }
  ~DBusDaemon() { kill(); }
  DBusDaemon(const DBusDaemon&) = delete;
  DBusDaemon& operator=(const DBusDaemon&) = delete;

  [[nodiscard]] std::string address() const { return "unix:path=" + socket_; }

  // Returns once the daemon printed its address, i.e. listens.
  bool start() {
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

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  [[nodiscard]] std::string log() const { return test::read_file(log_); }

 private:
  std::string socket_;
  std::string config_;
  std::string log_;
  pid_t pid_ = -1;
};

struct FakeUnit {
  std::string active_state = "active";
  std::string sub_state = "running";
  std::string result = "success";
  std::uint32_t main_pid = 4242;
  std::int32_t exec_main_code = 0;
  std::int32_t exec_main_status = 0;
  std::uint32_t n_restarts = 2;
};

// systemd's Manager and one service unit, served on its own thread. The unit is only
// touched on that thread: the test queues changes, the thread applies and signals them.
class FakeSystemd {
 public:
  FakeSystemd(const std::string& address, FakeUnit unit, std::string path = "")
      : unit_(std::move(unit)), path_(path.empty() ? unit_object_path(kUnit) : std::move(path)) {
    ok_ = sd_bus_new(&bus_) >= 0 && sd_bus_set_address(bus_, address.c_str()) >= 0 &&
          sd_bus_set_bus_client(bus_, 1) >= 0 && sd_bus_start(bus_) >= 0 &&
          sd_bus_add_object_vtable(bus_, nullptr, "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", kManagerVtable, this) >= 0 &&
          sd_bus_add_object_vtable(bus_, nullptr, path_.c_str(), "org.freedesktop.systemd1.Unit",
                                   kUnitVtable, this) >= 0 &&
          sd_bus_add_object_vtable(bus_, nullptr, path_.c_str(), "org.freedesktop.systemd1.Service",
                                   kServiceVtable, this) >= 0 &&
          sd_bus_request_name(bus_, "org.freedesktop.systemd1", 0) >= 0;
    if (ok_) thread_ = std::thread([this] { run(); });
  }
  ~FakeSystemd() {
    quit_ = true;
    if (thread_.joinable()) thread_.join();
    sd_bus_close_unref(bus_);
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] int subscribes() const { return subscribes_; }
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> stop_calls() const {
    std::lock_guard lock(mutex_);
    return stop_calls_;
  }

  // Like systemd (src/core/dbus-unit.c, send_changed_signal): one PropertiesChanged for
  // the Service interface first, then one for Unit, each with every EMITS_CHANGE value.
  void change(std::function<void(FakeUnit&)> edit) {
    post([this, edit = std::move(edit)] {
      edit(unit_);
      sd_bus_emit_properties_changed_strv(bus_, path_.c_str(), "org.freedesktop.systemd1.Service",
                                          nullptr);
      sd_bus_emit_properties_changed_strv(bus_, path_.c_str(), "org.freedesktop.systemd1.Unit",
                                          nullptr);
    });
  }

  // A PropertiesChanged that only names MainPID as invalidated, without its value.
  void invalidate_main_pid(std::uint32_t pid) {
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

 private:
  void post(std::function<void()> command) {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }

  void run() {
    while (!quit_) {
      std::vector<std::function<void()>> commands;
      {
        std::lock_guard lock(mutex_);
        commands.swap(commands_);
      }
      for (auto& command : commands) command();
      int r = 0;
      while ((r = sd_bus_process(bus_, nullptr)) > 0) {
      }
      if (r < 0) return;  // the daemon is gone
      sd_bus_wait(bus_, 10'000);
    }
  }

  static int on_subscribe(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
    static_cast<FakeSystemd*>(userdata)->subscribes_ += 1;
    return sd_bus_reply_method_return(m, nullptr);
  }
  static int on_load_unit(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    const char* name = nullptr;
    if (int r = sd_bus_message_read(m, "s", &name); r < 0) return r;
    if (std::string_view(name) != kUnit) {
      return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.",
                               name);
    }
    return sd_bus_reply_method_return(m, "o", static_cast<FakeSystemd*>(userdata)->path_.c_str());
  }
  static int on_stop_unit(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
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
  static int get(sd_bus* /*bus*/, const char* /*path*/, const char* /*interface*/,
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

  static constexpr auto kChange = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;
  static inline const sd_bus_vtable kManagerVtable[] = {
      SD_BUS_VTABLE_START(0), SD_BUS_METHOD("Subscribe", "", "", on_subscribe, 0),
      SD_BUS_METHOD("LoadUnit", "s", "o", on_load_unit, 0),
      SD_BUS_METHOD("StopUnit", "ss", "o", on_stop_unit, 0), SD_BUS_VTABLE_END};
  static inline const sd_bus_vtable kUnitVtable[] = {
      SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("ActiveState", "s", get, 0, kChange),
      SD_BUS_PROPERTY("SubState", "s", get, 0, kChange), SD_BUS_VTABLE_END};
  static inline const sd_bus_vtable kServiceVtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_PROPERTY("MainPID", "u", get, 0, kChange),
      SD_BUS_PROPERTY("Result", "s", get, 0, kChange),
      SD_BUS_PROPERTY("ExecMainCode", "i", get, 0, kChange),
      SD_BUS_PROPERTY("ExecMainStatus", "i", get, 0, kChange),
      SD_BUS_PROPERTY("NRestarts", "u", get, 0, kChange),
      SD_BUS_VTABLE_END};

  sd_bus* bus_ = nullptr;
  FakeUnit unit_;
  std::string path_;
  bool ok_ = false;
  std::atomic<bool> quit_{false};
  std::atomic<int> subscribes_{0};
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> commands_;
  std::vector<std::pair<std::string, std::string>> stop_calls_;
  std::thread thread_;
};

struct Report {
  UnitState state;
  std::vector<UnitChange> changes;
  [[nodiscard]] bool has(UnitChange change) const {
    return std::find(changes.begin(), changes.end(), change) != changes.end();
  }
};

class UnitWatcherHost : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("DBUS_SYSTEM_BUS_ADDRESS")) saved_address_ = old;
    ASSERT_EQ(::access("/usr/bin/dbus-daemon", X_OK), 0) << "the test needs dbus-daemon";
    daemon_ = std::make_unique<DBusDaemon>(dir_.path());
    // Before any connection: sd_bus_open_system() reads it on every call.
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", daemon_->address().c_str(), 1);
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop) << loop.error().message;
    loop_ = std::move(*loop);
  }

  void TearDown() override {
    if (HasFailure() || std::getenv("UNIT_WATCH_TRACE") != nullptr) {
      for (const auto& e : events_) {
        std::printf("event %d: %s\n", static_cast<int>(e.kind), e.detail.c_str());
      }
      for (const auto& r : reports_)
        std::printf("report: %s\n", describe_unit_state(r.state).c_str());
    }
    watcher_.reset();
    fake_.reset();
    daemon_.reset();  // SIGKILL and reap, by PID
    loop_.reset();
    if (saved_address_) {
      ::setenv("DBUS_SYSTEM_BUS_ADDRESS", saved_address_->c_str(), 1);
    } else {
      ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    }
  }

  void start_bus(FakeUnit unit = {}, const std::string& path = "") {
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    start_systemd(std::move(unit), path);
  }
  void start_systemd(FakeUnit unit = {}, const std::string& path = "") {
    fake_.reset();
    fake_ = std::make_unique<FakeSystemd>(daemon_->address(), std::move(unit), path);
    ASSERT_TRUE(fake_->ok());
  }

  void start_watcher() {
    watcher_ = std::make_unique<UnitWatcher>(
        *loop_, kUnit,
        [this](const UnitState& state, const std::vector<UnitChange>& changes) {
          reports_.push_back(Report{state, changes});
          if (on_report_) on_report_();
        },
        [this](const UnitWatchEvent& event) { events_.push_back(event); });
    auto started = watcher_->start(*loop_);
    ASSERT_TRUE(started) << started.error().message;
  }

  // Runs the lifeline loop until `done` or the deadline.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (sd_event_run(loop_->raw(), 20'000) < 0) return false;
    }
    return true;
  }
  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

  [[nodiscard]] std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(
        std::count_if(events_.begin(), events_.end(),
                      [kind](const UnitWatchEvent& e) { return e.kind == kind; }));
  }
  [[nodiscard]] const Report* find(UnitChange change) const {
    for (const auto& report : reports_) {
      if (report.has(change)) return &report;
    }
    return nullptr;
  }
  void wait_for_initial_state() {
    ASSERT_TRUE(run_until([&] { return !reports_.empty(); })) << daemon_->log();
    reports_.clear();
  }

  test::TempDir dir_;
  std::optional<std::string> saved_address_;
  std::unique_ptr<DBusDaemon> daemon_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<FakeSystemd> fake_;
  std::unique_ptr<UnitWatcher> watcher_;
  std::vector<Report> reports_;
  std::function<void()> on_report_;  // runs inside the watcher's callback
  std::vector<UnitWatchEvent> events_;
};

TEST_F(UnitWatcherHost, ReadsTheInitialState) {
  start_bus();
  start_watcher();
  ASSERT_TRUE(run_until([&] { return !reports_.empty(); })) << daemon_->log();
  const Report& first = reports_.front();
  EXPECT_EQ(first.state.main_pid, 4242U);
  EXPECT_EQ(first.state.active_state, "active");
  EXPECT_EQ(first.state.sub_state, "running");
  EXPECT_EQ(first.state.n_restarts, 2U);
  // Restarts counted before lifeline started are history, not a restart now.
  EXPECT_EQ(first.changes,
            (std::vector<UnitChange>{UnitChange::main_pid_changed, UnitChange::became_active}));
  EXPECT_EQ(watcher_->state(), first.state);
  EXPECT_TRUE(watcher_->connected());
  EXPECT_EQ(watcher_->object_path(), unit_object_path(kUnit));
  ASSERT_FALSE(events_.empty());
  EXPECT_EQ(events_.front().kind, Kind::connected);
  EXPECT_EQ(count(Kind::bus_unavailable), 0U);
  EXPECT_GE(fake_->subscribes(), 1);
}

TEST_F(UnitWatcherHost, UsesTheObjectPathLoadUnitReturns) {
  start_bus(FakeUnit{}, "/org/freedesktop/systemd1/unit/served_elsewhere");
  start_watcher();
  ASSERT_TRUE(run_until([&] { return !reports_.empty(); }));
  EXPECT_EQ(watcher_->object_path(), "/org/freedesktop/systemd1/unit/served_elsewhere");
  EXPECT_EQ(watcher_->state().main_pid, 4242U);
}

TEST_F(UnitWatcherHost, ReportsANewMainPid) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  fake_->change([](FakeUnit& u) { u.main_pid = 4343; });
  ASSERT_TRUE(run_until([&] { return find(UnitChange::main_pid_changed) != nullptr; }));
  EXPECT_EQ(find(UnitChange::main_pid_changed)->state.main_pid, 4343U);
  EXPECT_EQ(watcher_->state().main_pid, 4343U);
}

TEST_F(UnitWatcherHost, ReportsAKillBySignalAsFailed) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  fake_->change([](FakeUnit& u) {
    u.active_state = "failed";
    u.sub_state = "failed";
    u.result = "signal";
    u.main_pid = 0;
    u.exec_main_code = CLD_KILLED;
    u.exec_main_status = SIGKILL;
  });
  ASSERT_TRUE(run_until([&] { return find(UnitChange::became_failed) != nullptr; }));
  // The Service signal came first, so the failure already carries how the process died.
  const UnitState& failed = find(UnitChange::became_failed)->state;
  EXPECT_EQ(failed.result, "signal");
  EXPECT_EQ(failed.main_pid, 0U);
  EXPECT_EQ(describe_exit(failed.exec_main_code, failed.exec_main_status),
            "killed by signal 9 (KILL)");
  EXPECT_EQ(systemd_exit_text(failed.exec_main_code, failed.exec_main_status),
            "code=killed, status=9/KILL");
  EXPECT_NE(find(UnitChange::main_pid_changed), nullptr);
}

TEST_F(UnitWatcherHost, ReportsARestart) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  fake_->change([](FakeUnit& u) {
    u.n_restarts = 3;
    u.main_pid = 5000;
  });
  ASSERT_TRUE(run_until([&] { return find(UnitChange::restarted) != nullptr; }));
  const Report& restart = *find(UnitChange::restarted);
  EXPECT_TRUE(restart.has(UnitChange::main_pid_changed));
  EXPECT_EQ(restart.state.n_restarts, 3U);
  EXPECT_EQ(restart.state.main_pid, 5000U);
}

TEST_F(UnitWatcherHost, RereadsInvalidatedProperties) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  fake_->invalidate_main_pid(4444);
  ASSERT_TRUE(run_until([&] { return find(UnitChange::main_pid_changed) != nullptr; }));
  EXPECT_EQ(watcher_->state().main_pid, 4444U);
}

TEST_F(UnitWatcherHost, StopUnitReachesTheManager) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  auto stopped = watcher_->stop_unit("crash loop: 5 deaths in 60 s");
  ASSERT_TRUE(stopped) << stopped.error().message;
  ASSERT_TRUE(run_until([&] { return count(Kind::stop_accepted) == 1; }));
  const auto calls = fake_->stop_calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].first, kUnit);
  EXPECT_EQ(calls[0].second, "replace");
  const auto accepted = std::find_if(events_.begin(), events_.end(),
                                     [](const auto& e) { return e.kind == Kind::stop_accepted; });
  EXPECT_NE(accepted->detail.find("crash loop: 5 deaths in 60 s"), std::string::npos);
  EXPECT_NE(accepted->detail.find("/org/freedesktop/systemd1/job/77"), std::string::npos);
}

TEST_F(UnitWatcherHost, StopUnitWithoutABusIsAnError) {
  start_watcher();
  ASSERT_TRUE(run_until([&] { return count(Kind::bus_unavailable) == 1; }));
  auto stopped = watcher_->stop_unit("crash loop");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().errno_value, ENOTCONN);
  EXPECT_NE(stopped.error().message.find(kUnit), std::string::npos);
}

TEST_F(UnitWatcherHost, RetriesUntilTheBusAppears) {
  start_watcher();
  ASSERT_TRUE(run_until([&] { return count(Kind::bus_unavailable) == 1; }));
  EXPECT_NE(watcher_->bus_problem().find(daemon_->address()), std::string::npos)
      << watcher_->bus_problem();
  run_for(1200ms);  // several retries, each failing: still one report
  EXPECT_EQ(count(Kind::bus_unavailable), 1U);
  EXPECT_FALSE(watcher_->connected());
  EXPECT_TRUE(reports_.empty());

  start_bus();
  ASSERT_TRUE(run_until([&] { return !reports_.empty(); }, 15s)) << daemon_->log();
  EXPECT_EQ(watcher_->state().main_pid, 4242U);
  EXPECT_EQ(count(Kind::connected), 1U);
  EXPECT_TRUE(watcher_->bus_problem().empty());
}

TEST_F(UnitWatcherHost, ReconnectsAfterTheBusDrops) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  daemon_->kill();
  ASSERT_TRUE(run_until([&] { return count(Kind::bus_unavailable) == 1; }));
  EXPECT_FALSE(watcher_->connected());
  run_for(300ms);  // the loop goes on: sd-bus must not have ended it
  sd_event* event = loop_->raw();
  EXPECT_NE(sd_event_get_state(event), SD_EVENT_FINISHED);

  // While the bus was down, systemd restarted the app.
  FakeUnit restarted;
  restarted.main_pid = 5151;
  restarted.n_restarts = 3;
  start_bus(restarted);
  ASSERT_TRUE(run_until([&] { return !reports_.empty(); }, 15s)) << daemon_->log();
  EXPECT_TRUE(reports_.back().has(UnitChange::main_pid_changed));
  EXPECT_TRUE(reports_.back().has(UnitChange::restarted));
  EXPECT_EQ(watcher_->state().main_pid, 5151U);
  EXPECT_EQ(count(Kind::bus_unavailable), 1U);
  EXPECT_EQ(count(Kind::connected), 2U);
}

TEST_F(UnitWatcherHost, FollowsSystemdLeavingAndComingBack) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  fake_.reset();  // its connection closes: the bus daemon announces the name is free
  ASSERT_TRUE(run_until([&] { return count(Kind::bus_unavailable) == 1; }));
  EXPECT_FALSE(watcher_->connected());

  FakeUnit back;
  back.main_pid = 6000;
  start_systemd(back);
  ASSERT_TRUE(run_until([&] { return watcher_->state().main_pid == 6000U; }));
  EXPECT_TRUE(watcher_->connected());
  EXPECT_GE(fake_->subscribes(), 1);  // subscribed again with the new systemd
}

TEST_F(UnitWatcherHost, WaitsForSystemdToTakeItsName) {
  ASSERT_TRUE(daemon_->start()) << daemon_->log();
  start_watcher();
  // The bus is up but nobody owns org.freedesktop.systemd1: the calls fail, once reported.
  ASSERT_TRUE(run_until([&] { return count(Kind::call_failed) == 1; }));
  run_for(600ms);
  EXPECT_EQ(count(Kind::call_failed), 1U);
  EXPECT_FALSE(watcher_->connected());
  EXPECT_TRUE(reports_.empty());

  start_systemd();
  ASSERT_TRUE(run_until([&] { return !reports_.empty(); }, 15s));
  EXPECT_EQ(watcher_->state().main_pid, 4242U);
  EXPECT_EQ(count(Kind::connected), 1U);
  EXPECT_EQ(count(Kind::bus_unavailable), 0U);
}

TEST_F(UnitWatcherHost, StopsFromInsideItsOwnCallbackAndStartsAgain) {
  start_bus();
  on_report_ = [this] { watcher_->stop(); };  // the bus is mid-dispatch here
  start_watcher();
  ASSERT_TRUE(run_until([&] { return !reports_.empty(); }));
  run_for(200ms);  // the parked connection is freed off the bus callback
  EXPECT_FALSE(watcher_->connected());
  EXPECT_EQ(reports_.size(), 1U);

  on_report_ = nullptr;
  fake_->change([](FakeUnit& u) { u.main_pid = 4545; });
  auto restarted = watcher_->start(*loop_);
  ASSERT_TRUE(restarted) << restarted.error().message;
  ASSERT_TRUE(run_until([&] { return watcher_->state().main_pid == 4545U; }));
  EXPECT_EQ(count(Kind::connected), 2U);
}

TEST_F(UnitWatcherHost, DestroyedWithAStopInFlight) {
  start_bus();
  start_watcher();
  wait_for_initial_state();
  ASSERT_TRUE(watcher_->stop_unit("shutting down"));
  watcher_.reset();  // the pending call and its request die with the bus: no callback, no leak
  run_for(100ms);
  EXPECT_EQ(count(Kind::stop_accepted) + count(Kind::stop_failed), 0U);
}

}  // namespace
}  // namespace lifeline::motion
