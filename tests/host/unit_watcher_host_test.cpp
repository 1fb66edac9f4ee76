// The unit watcher on a real event loop against a real dbus-daemon that this test starts
// on a socket in a temp dir, with a fake systemd served on that bus from a second thread
// (support/system_bus.hpp: the Manager's Subscribe/LoadUnit/StopUnit and one unit's Unit
// and Service properties, signalled the way systemd signals them). The watcher finds the
// bus through DBUS_SYSTEM_BUS_ADDRESS, exactly as on a robot it would find
// /run/dbus/system_bus_socket, so every message below crosses a real D-Bus connection.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/event_loop.hpp"
#include "motion/unit_watcher.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::motion {
namespace {

using namespace std::chrono_literals;
using Kind = UnitWatchEvent::Kind;

constexpr const char* kUnit = "avatar-tank.service";

using test::DBusDaemon;
using test::FakeSystemd;
using test::FakeUnit;
using test::run_loop_until;
using test::SystemBusAddress;

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
    ASSERT_EQ(::access("/usr/bin/dbus-daemon", X_OK), 0) << "the test needs dbus-daemon";
    daemon_ = std::make_unique<DBusDaemon>(dir_.path());
    address_.emplace(daemon_->address());
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
    address_.reset();
  }

  void start_bus(FakeUnit unit = {}, const std::string& path = "") {
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    start_systemd(std::move(unit), path);
  }
  void start_systemd(FakeUnit unit = {}, const std::string& path = "") {
    fake_.reset();
    fake_ = std::make_unique<FakeSystemd>(daemon_->address(), kUnit, std::move(unit), path);
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
    return run_loop_until(loop_->raw(), done, timeout);
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
  std::optional<SystemBusAddress> address_;
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
